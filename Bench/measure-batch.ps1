<#
.SYNOPSIS
    The batch-size rows of build.ps1 Bench: Measure-VmBatch for each architecture and
    transport this kernel can run, written as CSV for the chart (Bench/Report/BatchChart.cs).
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $Csv,
    [int] $Operations = 3072,
    [int] $Repetitions = 3
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$sizes = 1, 2, 4, 8, 16, 32, 64, 128, 256, 512
$rows = foreach ($architecture in [UmlTlb.StubArchitecture]::GetValues([UmlTlb.StubArchitecture])) {
    foreach ($transport in [UmlTlb.StubTransport]::GetValues([UmlTlb.StubTransport])) {
        Write-Host "Measure-VmBatch: $architecture, $transport"
        # A kernel without 32-bit support cannot start an i386 stub: that line is left out, with the reason.
        Measure-VmBatch -Architecture $architecture -Transport $transport -Operations $Operations -BatchSize $sizes -Repetitions $Repetitions -ErrorAction Continue
    }
}
$rows | Format-Table | Out-String -Width 100 | Write-Host
$rows | Select-Object Architecture, Transport, BatchSize, Operations, RoundTrips, NsPerOp, OperationsPerSecond, RatioToNative, Repetitions |
    Export-Csv -Path $Csv -NoTypeInformation -UseQuotes Never
