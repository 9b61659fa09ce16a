<#
.SYNOPSIS
    The cmdlet row of the benchmark: the workload of Bench/Program.cs (map N separate
    pages, mprotect each read-only, munmap each) as 3N VmOp objects through
    Add-VmOp | Invoke-VmFlush, against the built module.
.DESCRIPTION
    Appends rows with Way=cmdlet to the benchmark's CSV, under the same RunId, so that
    the ratios to native and to the engine come from one run. Two forms are timed, over
    each transport (Ptrace, Doorbell): VmOp objects bound by value, and CSV-like rows
    bound by property name (hex strings).
#>
param(
    [Parameter(Mandatory)] [string] $Csv,
    [Parameter(Mandatory)] [string] $RunId,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/UmlTlb'),
    [int] $N = 4096,
    [int] $Repetitions = 5,
    [int] $Warmup = 1
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath

function New-Workload([int] $Pages, [switch] $AsRows) {
    $base = 0x10000000
    $ops = [System.Collections.Generic.List[object]]::new(3 * $Pages)
    foreach ($kind in 'Mmap', 'Mprotect', 'Munmap') {
        for ($i = 0; $i -lt $Pages; $i++) {
            # Every other page, so that nothing merges: the same ops as the engine rows.
            $address = [uint64]($base + $i * 8192)
            $protection = if ($kind -eq 'Mmap') { 'rw-' } else { 'r--' }
            if ($AsRows) {
                $ops.Add([pscustomobject]@{ Operation = $kind; Address = '0x{0:x}' -f $address; Length = '0x1000'; Protection = $protection; Offset = '0x{0:x}' -f ($i * 4096) })
            } else {
                $op = [UmlTlb.VmOp]::new()
                $op.Operation = $kind
                $op.Address = $address
                $op.Length = 4096
                $op.Protection = [UmlTlb.VmProtectionParser]::Parse($protection)
                $op.Offset = [uint64]($i * 4096)
                $ops.Add($op)
            }
        }
    }
    $ops
}

function Measure-Pipeline($Stub, $Ops) {
    $times = foreach ($rep in 1..($Warmup + $Repetitions)) {
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $summary = $Ops | Add-VmOp -Stub $Stub -NoCoalesce | Invoke-VmFlush -Summary
        $watch.Stop()
        if ($summary.Failed -ne 0 -or $summary.Operations -ne $Ops.Count) {
            throw "The cmdlet run went wrong: $($summary.Failed) failed, $($summary.Operations) of $($Ops.Count) ops."
        }
        if ($rep -gt $Warmup) { $watch.Elapsed.TotalNanoseconds / $Ops.Count }
    }
    ($times | Sort-Object)[[int][math]::Floor(@($times).Count / 2)]
}

$rows = @(Import-Csv $Csv | Where-Object RunId -eq $RunId)
$native = $rows | Where-Object Way -eq 'native' | Select-Object -First 1
foreach ($transport in 'Ptrace', 'Doorbell') {
    $stub = Start-StubProcess -Name "bench-cmdlet-$transport-$PID" -Affinity Colocated -Transport $transport
    try {
        foreach ($form in 'VmOp objects', 'CSV rows') {
            $ops = New-Workload -Pages $N -AsRows:($form -eq 'CSV rows')
            $ns = Measure-Pipeline $stub $ops
            $engine = $rows | Where-Object { $_.Way -eq 'batch' -and $_.Architecture -eq 'x86_64' -and $_.Affinity -eq 'Colocated' -and $_.BatchPages -eq '1' -and "$($_.Transport)" -in $transport, '' } | Select-Object -First 1
            $ratio = if ($native -and $native.NsPerOp) { '{0:F2}' -f ($ns / [double]$native.NsPerOp) } else { '' }
            $over = if ($engine -and $engine.NsPerOp) { ' {0:F0} ns/op over the engine batch' -f ($ns - [double]$engine.NsPerOp) } else { '' }
            $row = [ordered]@{
                RunId = $RunId; Way = 'cmdlet'; Architecture = 'x86_64'; Affinity = 'Colocated'; BatchPages = 1; N = $N
                Ops = $ops.Count; Repetitions = $Repetitions; NsPerOp = '{0:F0}' -f $ns; RatioToNative = $ratio
                Note = "Add-VmOp | Invoke-VmFlush over $form;$over"; Transport = $transport
            }
            [pscustomobject]$row | Export-Csv -Path $Csv -Append -NoTypeInformation -UseQuotes Never
        }
    } finally {
        $stub | Stop-StubProcess
    }
}
