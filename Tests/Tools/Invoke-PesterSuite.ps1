<#
.SYNOPSIS
    Runs the Pester suite in this (fresh) PowerShell and writes its counts to
    <ResultsDirectory>/pester-summary.json, and the results as NUnit XML to
    pester.xml. build.ps1 Test runs it; the tests import the module from
    $env:UMLTLB_MODULE_PATH. Exits 0 when Pester ran to the end, whatever the results.
#>
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $TestPath,
    [Parameter(Mandatory)] [string] $ResultsDirectory,
    # Also run the tests tagged Soak.
    [switch] $Soak
)
$ErrorActionPreference = 'Stop'

Import-Module $PesterPath -Force
$configuration = New-PesterConfiguration
$configuration.Run.Path = $TestPath
$configuration.Run.PassThru = $true
$configuration.Run.Exit = $false
$configuration.Output.Verbosity = 'Detailed'
if ([Console]::IsOutputRedirected) {
    $configuration.Output.RenderMode = 'Plaintext'
}
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputFormat = 'NUnitXml'
$configuration.TestResult.OutputPath = Join-Path $ResultsDirectory 'pester.xml'
if (-not $Soak) {
    $configuration.Filter.ExcludeTag = 'Soak'
}
$result = Invoke-Pester -Configuration $configuration

# A file that does not parse, or a BeforeAll/AfterAll that throws outside any
# test, fails a container or block without failing a test: count each as one failure,
# unless a failed test already reports it.
function Test-Inside($Test, $Block) {
    for ($b = $Test.Block; $b; $b = $b.Parent) {
        if ($b -eq $Block) { return $true }
    }
    return $false
}
$failedBlocks = @($result.FailedBlocks | Where-Object {
        $block = $_
        -not ($result.Failed | Where-Object { Test-Inside $_ $block })
    })
foreach ($block in $failedBlocks) {
    Write-Host "Block failed: $($block.ExpandedPath): $($block.ErrorRecord | Select-Object -First 1)" -ForegroundColor Red
}
foreach ($container in $result.FailedContainers) {
    Write-Host "Container failed: $($container.Item): $($container.ErrorRecord | Select-Object -First 1)" -ForegroundColor Red
}

[ordered]@{
    Passed  = $result.PassedCount
    Failed  = $result.FailedCount + $failedBlocks.Count + $result.FailedContainersCount
    Skipped = $result.SkippedCount + $result.InconclusiveCount
    NotRun  = $result.NotRunCount
    Result  = $result.Result
} | ConvertTo-Json | Set-Content -Path (Join-Path $ResultsDirectory 'pester-summary.json')
exit 0
