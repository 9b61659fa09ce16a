# The tasks of build.ps1. Every native command's exit code is checked; a failed
# step throws, so build.ps1 stops there and exits non-zero.

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

$script:Root = $PSScriptRoot
$script:ModuleDir = Join-Path $PSScriptRoot 'out/UmlTlb'
$script:ResultsDir = Join-Path $PSScriptRoot 'out/TestResults'
$script:ModuleProject = Join-Path $PSScriptRoot 'Module/UmlTlb.Module.csproj'
$script:EngineTestProject = Join-Path $PSScriptRoot 'Tests/Engine/UmlTlb.Engine.Tests.csproj'
$script:HelpBuilderProject = Join-Path $PSScriptRoot 'Tools/HelpBuilder/UmlTlb.HelpBuilder.csproj'
$script:HelpBuilderTestProject = Join-Path $PSScriptRoot 'Tests/HelpBuilder/UmlTlb.HelpBuilder.Tests.csproj'
$script:DocsDir = Join-Path $PSScriptRoot 'docs'
$script:Solution = Join-Path $PSScriptRoot 'UmlTlb.slnx'
$script:ToolsProject = Join-Path $PSScriptRoot 'Tests/Tools/Tools.csproj'
$script:PesterTests = Join-Path $PSScriptRoot 'Tests/Pester'
$script:BenchProject = Join-Path $PSScriptRoot 'Bench/UmlTlb.Bench.csproj'
$script:PesterVersion = '6.2.0'
$script:RuntimeIdentifier = 'linux-x64'

#region Helpers

function Write-Step([string] $Message) {
    Write-Host "==> $Message" -ForegroundColor Cyan
}

# Runs a native command with its output on the console and throws when it fails.
function Invoke-Native {
    param(
        [Parameter(Mandatory)] [string] $FilePath,
        [string[]] $ArgumentList = @()
    )
    & $FilePath @ArgumentList | Out-Host
    if ($LASTEXITCODE -ne 0) {
        throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code $LASTEXITCODE."
    }
}

# The command line that starts another PowerShell like this one: under
# 'dotnet pwsh' the process is dotnet running pwsh.dll, else pwsh itself.
function Get-PwshCommandLine {
    $exe = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') {
        return @($exe, (Join-Path $PSHOME 'pwsh.dll'))
    }
    return @($exe)
}

# Runs a script in a fresh 'pwsh -NoProfile' (assemblies loaded by a module
# cannot be unloaded, so tests and the demo never run in this process).
# Returns its exit code, or -1 when it ran longer than $Timeout and was killed.
function Invoke-ChildPwsh {
    param(
        [Parameter(Mandatory)] [string] $File,
        [string[]] $ArgumentList = @(),
        [hashtable] $Environment = @{},
        [TimeSpan] $Timeout = [TimeSpan]::FromMinutes(10)
    )
    $commandLine = @(Get-PwshCommandLine)
    $psi = [Diagnostics.ProcessStartInfo]::new($commandLine[0])
    foreach ($arg in @($commandLine | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $File) + $ArgumentList) {
        $psi.ArgumentList.Add($arg)
    }
    $psi.UseShellExecute = $false
    $psi.WorkingDirectory = $script:Root
    if ([Console]::IsOutputRedirected) {
        $psi.Environment['NO_COLOR'] = '1'
    }
    foreach ($name in $Environment.Keys) {
        if ($null -eq $Environment[$name]) {
            $null = $psi.Environment.Remove($name)
        } else {
            $psi.Environment[$name] = [string] $Environment[$name]
        }
    }
    $process = [Diagnostics.Process]::Start($psi)
    try {
        if (-not $process.WaitForExit([int] $Timeout.TotalMilliseconds)) {
            Write-Host "$File ran longer than $Timeout; killing it." -ForegroundColor Red
            $process.Kill($true)
            $process.WaitForExit()
            return -1
        }
        $process.WaitForExit()
        return $process.ExitCode
    } finally {
        $process.Dispose()
    }
}

function Assert-SupportedHost {
    if (-not $IsLinux -or [Runtime.InteropServices.RuntimeInformation]::OSArchitecture -ne 'X64') {
        throw "UmlTlb builds and runs on x86_64 Linux only (this is $([Runtime.InteropServices.RuntimeInformation]::OSDescription), $([Runtime.InteropServices.RuntimeInformation]::OSArchitecture))."
    }
}

# The stub architectures this checkout has sources for.
function Get-StubArchitecture {
    Get-ChildItem -Path (Join-Path $script:Root 'Stubs') -Directory |
        Where-Object { Test-Path (Join-Path $_.FullName 'stub.S') } |
        ForEach-Object Name
}

# Restores Tests/Tools/Tools.csproj and returns the path of Pester.psd1 in the NuGet global-packages folder.
function Get-PesterManifest {
    Write-Step "Restoring Pester $script:PesterVersion"
    Invoke-Native dotnet @('restore', $script:ToolsProject, '--nologo')
    $listing = & dotnet nuget locals global-packages --list
    if ($LASTEXITCODE -ne 0) {
        throw "'dotnet nuget locals global-packages --list' failed with exit code $LASTEXITCODE."
    }
    $line = @($listing) | Where-Object { $_ -match '^\s*global-packages:\s*(.+?)\s*$' } | Select-Object -First 1
    if (-not $line) {
        throw "Cannot find the NuGet global-packages folder in: $listing"
    }
    $null = $line -match '^\s*global-packages:\s*(.+?)\s*$'
    $manifest = Join-Path $Matches[1] "pester/$script:PesterVersion/tools/Pester.psd1"
    if (-not (Test-Path $manifest)) {
        throw "Pester $script:PesterVersion was restored but $manifest does not exist."
    }
    return $manifest
}

#endregion

#region Build

function Invoke-UmlTlbBuild {
    Assert-SupportedHost
    Write-Step "Publishing the module into $script:ModuleDir"
    if (Test-Path $script:ModuleDir) {
        Remove-Item $script:ModuleDir -Recurse -Force
    }
    Invoke-Native dotnet @(
        'publish', $script:ModuleProject, '--nologo',
        '-c', 'Release', '-r', $script:RuntimeIdentifier, '--self-contained', 'false',
        '-o', $script:ModuleDir)

    # PowerShell reads neither deps.json nor the XML doc comments.
    Get-ChildItem $script:ModuleDir -File |
        Where-Object { $_.Name -like '*.deps.json' -or $_.Extension -eq '.xml' } |
        Remove-Item -Force
    Invoke-UmlTlbDocs

    $required = @('UmlTlb.psd1', 'UmlTlb.dll', 'UmlTlb.Engine.dll', 'Tmds.LibC.dll', 'Sep.dll', 'UmlTlb.Format.ps1xml',
        'en-US/UmlTlb.dll-Help.xml', 'en-US/about_UmlTlb.help.txt')
    $missing = @($required | Where-Object { -not (Test-Path (Join-Path $script:ModuleDir $_) -PathType Leaf) })
    if ($missing) {
        throw "The published module lacks: $($missing -join ', ')."
    }
    # The stubs live inside UmlTlb.Engine.dll (Test-BuiltModule.ps1 checks): a stubs/ folder would be stale.
    if (Test-Path (Join-Path $script:ModuleDir 'stubs')) {
        throw "The published module has a stubs/ folder; the stubs belong inside UmlTlb.Engine.dll."
    }

    Write-Step 'Importing the published module in a fresh pwsh'
    $check = Join-Path $script:Root 'Tests/Tools/Test-BuiltModule.ps1'
    $exitCode = Invoke-ChildPwsh -File $check -ArgumentList @($script:ModuleDir, ((Get-StubArchitecture) -join ',')) -Timeout ([TimeSpan]::FromMinutes(2))
    if ($exitCode -ne 0) {
        throw "Importing $script:ModuleDir failed (exit code $exitCode)."
    }
    Write-Host "Built $script:ModuleDir (stubs inside UmlTlb.Engine.dll: $((Get-StubArchitecture) -join ', '))."
}

#endregion

#region Docs

# Turns docs/*.md into out/UmlTlb/en-US: the cmdlets' MAML and the about topics.
# PlatyPS's New-ExternalHelp when that module is on this machine, else the
# project's own converter (Tools/HelpBuilder, Markdig and YamlDotNet).
function Invoke-UmlTlbDocs {
    $helpDir = Join-Path $script:ModuleDir 'en-US'
    $platyPS = Get-Module -ListAvailable -Name platyPS | Sort-Object Version -Descending | Select-Object -First 1
    if ($platyPS) {
        Write-Step "Help from docs/ with PlatyPS $($platyPS.Version) (New-ExternalHelp)"
        Import-Module $platyPS -Force
        $null = New-ExternalHelp -Path $script:DocsDir -OutputPath $helpDir -Force
    } else {
        Write-Step 'Help from docs/ with Tools/HelpBuilder (PlatyPS is not on this machine)'
        Invoke-Native dotnet @('run', '--project', $script:HelpBuilderProject, '-c', 'Release', '--',
            $script:DocsDir, $helpDir, 'UmlTlb.dll-Help.xml')
    }
    foreach ($file in 'UmlTlb.dll-Help.xml', 'about_UmlTlb.help.txt') {
        if (-not (Test-Path (Join-Path $helpDir $file) -PathType Leaf)) {
            throw "Building the help wrote no $file into $helpDir."
        }
    }
}

#endregion

#region Test

# Runs one xunit project; returns its counts read from its TRX file.
function Invoke-XunitTests {
    param([string] $Project, [string] $Name, [string] $TrxName, [switch] $Soak)
    Write-Step "$Name tests (xunit)"
    $trx = Join-Path $script:ResultsDir $TrxName
    $arguments = @(
        'test', $Project, '--nologo', '-c', 'Release',
        '--logger', "trx;LogFileName=$TrxName", '--results-directory', $script:ResultsDir,
        '--blame-hang-timeout', ($Soak ? '30m' : '5m'), '--blame-hang-dump-type', 'none')
    if (-not $Soak) {
        $arguments += @('--filter', 'Category!=Soak')
    }
    & dotnet @arguments | Out-Host
    $exitCode = $LASTEXITCODE

    $suite = [ordered]@{ Name = "$Name (xunit)"; Passed = 0; Failed = 0; Skipped = 0; Crashed = $null }
    if (-not (Test-Path $trx)) {
        $suite.Crashed = "dotnet test exited with $exitCode and wrote no $trx"
        return [pscustomobject] $suite
    }
    # The Counters element does not count skipped tests (notExecuted stays 0): count the results.
    $document = [xml] (Get-Content $trx -Raw)
    $outcomes = @($document.SelectNodes("//*[local-name()='UnitTestResult']") | ForEach-Object { $_.GetAttribute('outcome') })
    $suite.Passed = @($outcomes | Where-Object { $_ -eq 'Passed' }).Count
    $suite.Failed = @($outcomes | Where-Object { $_ -in 'Failed', 'Error', 'Timeout', 'Aborted' }).Count
    $suite.Skipped = @($outcomes | Where-Object { $_ -in 'NotExecuted', 'Inconclusive', 'NotRunnable' }).Count
    $counters = $document.SelectSingleNode("//*[local-name()='Counters']")
    if (-not $counters -or $suite.Passed -ne [int] $counters.GetAttribute('passed') -or $suite.Failed -lt [int] $counters.GetAttribute('failed')) {
        $suite.Crashed = "the results in $trx disagree with its counters"
        return [pscustomobject] $suite
    }
    if ($exitCode -ne 0 -and $suite.Failed -eq 0) {
        $suite.Crashed = "dotnet test exited with $exitCode although no test failed"
    } elseif ($suite.Passed + $suite.Failed -eq 0) {
        $suite.Crashed = 'no test ran'
    }
    return [pscustomobject] $suite
}

# Runs Tests/Pester in a fresh pwsh against the built module; returns its counts.
function Invoke-PesterTests([switch] $Soak) {
    $pester = Get-PesterManifest
    Write-Step "Pester tests against $script:ModuleDir"
    $summary = Join-Path $script:ResultsDir 'pester-summary.json'
    $runner = Join-Path $script:Root 'Tests/Tools/Invoke-PesterSuite.ps1'
    $arguments = @('-PesterPath', $pester, '-TestPath', $script:PesterTests, '-ResultsDirectory', $script:ResultsDir)
    if ($Soak) {
        $arguments += '-Soak'
    }
    $exitCode = Invoke-ChildPwsh -File $runner -ArgumentList $arguments `
        -Timeout ([TimeSpan]::FromMinutes($Soak ? 60 : 10))

    $suite = [ordered]@{ Name = 'Module (Pester)'; Passed = 0; Failed = 0; Skipped = 0; Crashed = $null }
    if ($exitCode -ne 0 -or -not (Test-Path $summary)) {
        $suite.Crashed = "the Pester run exited with $exitCode"
        return [pscustomobject] $suite
    }
    $counts = Get-Content $summary -Raw | ConvertFrom-Json
    $suite.Passed = $counts.Passed
    $suite.Failed = $counts.Failed
    $suite.Skipped = $counts.Skipped
    if ($suite.Passed + $suite.Failed -eq 0) {
        $suite.Crashed = 'no test ran'
    }
    return [pscustomobject] $suite
}

# dotnet format --verify-no-changes over the solution, against .editorconfig: one check, passed or failed.
function Invoke-FormatCheck {
    Write-Step 'Formatting (dotnet format --verify-no-changes)'
    & dotnet format $script:Solution --verify-no-changes | Out-Host
    $ok = $LASTEXITCODE -eq 0
    if (-not $ok) {
        Write-Host "The C# code is not formatted as .editorconfig says: run 'dotnet format UmlTlb.slnx' and commit the result." -ForegroundColor Red
    }
    [pscustomobject][ordered]@{ Name = 'Format'; Passed = [int]$ok; Failed = [int](-not $ok); Skipped = 0; Crashed = $null }
}

# Builds, runs both suites and returns the exit code; the last line written is "N passed, N failed, N skipped".
function Invoke-UmlTlbTest([switch] $Soak) {
    Invoke-UmlTlbBuild
    if (Test-Path $script:ResultsDir) {
        Remove-Item $script:ResultsDir -Recurse -Force
    }
    $null = New-Item -ItemType Directory -Path $script:ResultsDir

    $saved = @{ UMLTLB_SOAK = $env:UMLTLB_SOAK; UMLTLB_MODULE_PATH = $env:UMLTLB_MODULE_PATH }
    $env:UMLTLB_SOAK = $Soak ? '1' : $null
    $env:UMLTLB_MODULE_PATH = $script:ModuleDir
    try {
        $suites = @(
            Invoke-FormatCheck
            Invoke-XunitTests -Project $script:EngineTestProject -Name 'Engine' -TrxName 'engine.trx' -Soak:$Soak
            Invoke-XunitTests -Project $script:HelpBuilderTestProject -Name 'Help' -TrxName 'helpbuilder.trx' -Soak:$Soak
            Invoke-PesterTests -Soak:$Soak
        )
    } finally {
        $env:UMLTLB_SOAK = $saved.UMLTLB_SOAK
        $env:UMLTLB_MODULE_PATH = $saved.UMLTLB_MODULE_PATH
    }

    Write-Host ''
    Write-Host "Results in $script:ResultsDir"
    foreach ($suite in $suites) {
        $line = '{0,-16} {1} passed, {2} failed, {3} skipped' -f "$($suite.Name):", $suite.Passed, $suite.Failed, $suite.Skipped
        if ($suite.Crashed) {
            Write-Host "$line; SUITE DID NOT COMPLETE: $($suite.Crashed)" -ForegroundColor Red
        } else {
            Write-Host $line
        }
    }
    $passed = ($suites | Measure-Object -Property Passed -Sum).Sum
    $failed = ($suites | Measure-Object -Property Failed -Sum).Sum
    $skipped = ($suites | Measure-Object -Property Skipped -Sum).Sum
    Write-Host "$passed passed, $failed failed, $skipped skipped"

    $ok = $failed -eq 0 -and $passed -gt 0 -and -not ($suites | Where-Object Crashed)
    return $ok ? 0 : 1
}

#endregion

#region Clean, Demo, Bench

function Invoke-UmlTlbClean {
    Write-Step 'Removing out/, bin/, obj/ and TestResults/'
    $targets = @(Join-Path $script:Root 'out')
    foreach ($project in Get-ChildItem $script:Root -Recurse -Filter '*.csproj' -File) {
        $targets += Join-Path $project.DirectoryName 'bin'
        $targets += Join-Path $project.DirectoryName 'obj'
        $targets += Join-Path $project.DirectoryName 'TestResults'
    }
    foreach ($target in $targets | Where-Object { Test-Path $_ }) {
        Write-Host "  $([IO.Path]::GetRelativePath($script:Root, $target))"
        Remove-Item $target -Recurse -Force
    }
}

function Invoke-UmlTlbDemo {
    Invoke-UmlTlbBuild
    Write-Step 'Demo/Demo.ps1'
    $exitCode = Invoke-ChildPwsh -File (Join-Path $script:Root 'Demo/Demo.ps1') -ArgumentList @('-ModulePath', $script:ModuleDir) `
        -Timeout ([TimeSpan]::FromMinutes(2))
    if ($exitCode -ne 0) {
        throw "Demo/Demo.ps1 failed (exit code $exitCode)."
    }
}

function Invoke-UmlTlbBench {
    param([switch] $Quick, [string[]] $BenchArgs = @())
    Assert-SupportedHost
    if (-not (Test-Path $script:BenchProject)) {
        throw "There is no benchmark in this checkout: $script:BenchProject does not exist."
    }
    # Every part of the run lands in one CSV under one RunId: ratios come from one run.
    Invoke-UmlTlbBuild
    $resultDir = Join-Path $script:Root 'out/bench'
    New-Item -ItemType Directory -Force -Path $resultDir | Out-Null
    $runId = (Get-Date).ToUniversalTime().ToString('yyyyMMddTHHmmssZ')
    $csv = Join-Path $resultDir "bench-$runId.csv"

    # The C program of Bench/cref drives the same stub with plain ptrace; the bench runs it as its cref way.
    $cref = Join-Path $resultDir 'cref'
    Write-Step 'C reference (Bench/cref/cref.c)'
    Invoke-Native gcc @('-O2', '-Wall', '-I', (Join-Path $script:Root 'Stubs'), '-o', $cref, (Join-Path $script:Root 'Bench/cref/cref.c'))

    $arguments = @('run', '-c', 'Release', '--project', $script:BenchProject, '--', '--csv', $csv, '--run-id', $runId, '--cref', $cref, '--no-report')
    if ($Quick) {
        $arguments += '--quick'
    }
    $arguments += $BenchArgs
    Write-Step "dotnet $($arguments -join ' ')"
    Invoke-Native dotnet $arguments

    $pages = if ($Quick) { 256 } else { 4096 }
    $repetitions = if ($Quick) { 2 } else { 5 }
    # The PowerShell parts of the run append their rows to the same CSV under the same RunId.
    $benchScripts = [ordered]@{
        'Bench/cmdlet-bench.ps1' = @("cmdlet pipeline over both transports ($pages pages)", 5)
        'Bench/file-bench.ps1'   = @('files: Invoke-VmFlush -Path of a million-op CSV, the per-object pipeline and its floor', 5)
    }
    foreach ($name in $benchScripts.Keys) {
        $step, $minutes = $benchScripts[$name]
        Write-Step $step
        $exitCode = Invoke-ChildPwsh -File (Join-Path $PSScriptRoot $name) -Timeout ([TimeSpan]::FromMinutes($minutes)) `
            -ArgumentList @('-Csv', $csv, '-RunId', $runId, '-ModulePath', $script:ModuleDir, '-N', $pages, '-Repetitions', $repetitions)
        if ($exitCode -ne 0) {
            throw "$name failed (exit code $exitCode)."
        }
    }

    # The table and the targets of the whole run, cmdlet rows included.
    Invoke-Native dotnet @('run', '-c', 'Release', '--no-build', '--project', $script:BenchProject, '--', '--report', $csv, '--run-id', $runId)

    # ns/op against batch size, a line per architecture and transport, the native baseline: Measure-VmBatch
    # rows of this run, drawn as SVG by the bench program (Bench/Report/BatchChart.cs).
    $batchCsv = Join-Path $resultDir "batch-$runId.csv"
    $svg = Join-Path $resultDir "batch-$runId.svg"
    Write-Step 'Measure-VmBatch rows for the chart'
    $operations = if ($Quick) { 384 } else { 3072 }
    $exitCode = Invoke-ChildPwsh -File (Join-Path $PSScriptRoot 'Bench/measure-batch.ps1') `
        -ArgumentList @('-ModulePath', $script:ModuleDir, '-Csv', $batchCsv, '-Operations', $operations, '-Repetitions', ($Quick ? 1 : 3)) `
        -Timeout ([TimeSpan]::FromMinutes(5))
    if ($exitCode -ne 0) {
        throw "Bench/measure-batch.ps1 failed (exit code $exitCode)."
    }
    Invoke-Native dotnet @('run', '-c', 'Release', '--no-build', '--project', $script:BenchProject, '--', '--chart', $batchCsv, '--svg', $svg, '--run-id', $runId)
    Write-Host "Results: $csv, $batchCsv, chart $svg"
}

#endregion

Export-ModuleMember -Function Invoke-UmlTlbBuild, Invoke-UmlTlbDocs, Invoke-UmlTlbTest, Invoke-UmlTlbClean, Invoke-UmlTlbDemo, Invoke-UmlTlbBench
