<#
.SYNOPSIS
    The file rows of the benchmark, against the built module: Invoke-VmFlush -Path of a
    million-op CSV (the workload mix repeated) with -Summary, and the per-object pipeline
    Import-Csv | Add-VmOp | Invoke-VmFlush against PowerShell's own floor for the same
    binding (Import-Csv | Add-BenchFloorOp | Invoke-BenchFloorFlush, two do-nothing cmdlets
    of the bench assembly that bind Add-VmOp's parameters with the same attributes).
.DESCRIPTION
    Appends rows with Way = file, pipeline and floor to the benchmark's CSV under the same
    RunId, so that every ratio comes from one run. The file row's note has the pwsh process's
    RSS growth over the flush.
#>
param(
    [Parameter(Mandatory)] [string] $Csv,
    [Parameter(Mandatory)] [string] $RunId,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/UmlTlb'),
    [string] $BenchAssembly = (Join-Path $PSScriptRoot 'bin/Release/net10.0/UmlTlb.Bench.dll'),
    [int] $N = 4096,
    [int] $Repetitions = 5,
    [int] $Warmup = 1,
    [long] $FileOps = 1000000
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
Import-Module $BenchAssembly

function Get-RssBytes {
    [long] ((Get-Content /proc/self/status | Where-Object { $_ -like 'VmRSS:*' }) -replace '\D', '') * 1KB
}

# Median ns per op of $Block over $Ops ops; $Check gets each run's output and throws when it is wrong.
function Measure-Block([scriptblock] $Block, [long] $Ops, [scriptblock] $Check, [int] $Reps = $Repetitions) {
    $times = foreach ($rep in 1..($Warmup + $Reps)) {
        [GC]::Collect()
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $out = & $Block
        $watch.Stop()
        & $Check $out
        if ($rep -gt $Warmup) { $watch.Elapsed.TotalNanoseconds / $Ops }
    }
    ($times | Sort-Object)[[int][math]::Floor(@($times).Count / 2)]
}

function Add-Row([string] $Way, [long] $Ops, [double] $Ns, [int] $Reps, [string] $Note, [switch] $Workload) {
    $native = Import-Csv $Csv | Where-Object { $_.RunId -eq $RunId -and $_.Way -eq 'native' } | Select-Object -First 1
    $ratio = if ($Workload -and $native -and $native.NsPerOp) { '{0:F3}' -f ($Ns / [double]$native.NsPerOp) } else { '' }
    [pscustomobject][ordered]@{
        RunId = $RunId; Way = $Way; Architecture = 'x86_64'; Affinity = 'Colocated'; BatchPages = 1; N = $N
        Ops = $Ops; Repetitions = $Reps; NsPerOp = '{0:F1}' -f $Ns; RatioToNative = $ratio; Note = $Note -replace ',', ';'
        # The floor runs no stub; the others ran through $stub's transport.
        Transport = if ($Way -eq 'floor') { '' } else { "$($stub.Transport)" }
    } | Export-Csv -Path $Csv -Append -NoTypeInformation -UseQuotes Never
    Write-Host ('  {0,-44} {1,9:F0} ns/op  {2}' -f "$Way x86_64 Colocated 1p", $Ns, $Note)
}

$dir = Join-Path ([IO.Path]::GetTempPath()) "umltlb-file-bench-$PID"
$null = New-Item -ItemType Directory -Force $dir
$stub = Start-StubProcess -Name "bench-file-$PID" -Affinity Colocated
try {
    # Invoke-VmFlush -Path: a million ops, nothing merges (separate pages), the same syscalls as native.
    $opsFile = Join-Path $dir 'million.csv'
    $ops = [UmlTlb.Bench.Core.OpsFile]::Write($opsFile, $N, $FileOps)
    $summary = $null
    $rss = [System.Collections.Generic.List[double]]::new()
    $fileReps = [math]::Min($Repetitions, 3)
    $ns = Measure-Block -Ops $ops -Reps $fileReps -Block {
        $before = Get-RssBytes
        Invoke-VmFlush -Path $opsFile -Stub $stub -Summary
        $rss.Add(((Get-RssBytes) - $before) / 1MB)
    } -Check {
        param($s)
        if ($s.Failed -ne 0 -or $s.Rejected -ne 0 -or $s.HostOperations -ne $ops) { throw "Invoke-VmFlush -Path: $($s.Failed) failed, $($s.Rejected) rejected, $($s.HostOperations) host ops of $ops." }
        $script:summary = $s
    }
    Add-Row file $ops $ns $fileReps -Workload ("Invoke-VmFlush -Path of {0} CSV rows -Summary; {1} round trips; RSS growth at most {2:F1} MB" -f $ops, $summary.RoundTrips, ($rss | Measure-Object -Maximum).Maximum)

    # The per-object pipeline and its floor, over one mix (3N rows) read by Import-Csv.
    $mixFile = Join-Path $dir 'mix.csv'
    $mixOps = [UmlTlb.Bench.Core.OpsFile]::Write($mixFile, $N, 3 * $N)
    $pipeline = Measure-Block -Ops $mixOps -Block {
        Import-Csv $mixFile | Add-VmOp -Stub $stub -NoCoalesce | Invoke-VmFlush -Summary
    } -Check {
        param($s)
        if ($s.Failed -ne 0 -or $s.Operations -ne $mixOps) { throw "Import-Csv | Add-VmOp | Invoke-VmFlush: $($s.Failed) failed, $($s.Operations) of $mixOps ops." }
    }
    Add-Row pipeline $mixOps $pipeline $Repetitions -Workload 'Import-Csv | Add-VmOp | Invoke-VmFlush -Summary'
    $floor = Measure-Block -Ops $mixOps -Block {
        Import-Csv $mixFile | Add-BenchFloorOp -Stub $stub -NoCoalesce | Invoke-BenchFloorFlush -Summary
    } -Check { param($s) }
    Add-Row floor $mixOps $floor $Repetitions 'Import-Csv | Add-BenchFloorOp | Invoke-BenchFloorFlush: same binding; nothing runs'
}
finally {
    $stub | Stop-StubProcess
    Remove-Item $dir -Recurse -Force -ErrorAction Ignore
}
