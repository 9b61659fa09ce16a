# The tasks of build.ps1. Every native command's exit code is checked; a failed
# step throws, so build.ps1 stops there and exits non-zero.

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

$script:Root = $PSScriptRoot
$script:ModuleDir = Join-Path $PSScriptRoot 'out/UmlTlb'
$script:ResultsDir = Join-Path $PSScriptRoot 'out/TestResults'
$script:ModuleProject = Join-Path $PSScriptRoot 'Module/UmlTlb.Module.csproj'
$script:EngineTestProject = Join-Path $PSScriptRoot 'Tests/Engine/UmlTlb.Engine.Tests.csproj'
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

    $required = @('UmlTlb.psd1', 'UmlTlb.dll', 'UmlTlb.Engine.dll', 'Tmds.LibC.dll', 'UmlTlb.Format.ps1xml')
    $stubs = @(Get-StubArchitecture | ForEach-Object { "stubs/umltlb-stub-$_" })
    $missing = @($required + $stubs | Where-Object { -not (Test-Path (Join-Path $script:ModuleDir $_) -PathType Leaf) })
    if ($missing) {
        throw "The published module lacks: $($missing -join ', ')."
    }
    foreach ($stub in $stubs) {
        $mode = (Get-Item (Join-Path $script:ModuleDir $stub)).UnixFileMode
        if (-not $mode.HasFlag([IO.UnixFileMode]::UserExecute)) {
            throw "$stub is not executable ($mode)."
        }
    }

    Write-Step 'Importing the published module in a fresh pwsh'
    $check = Join-Path $script:Root 'Tests/Tools/Test-BuiltModule.ps1'
    $exitCode = Invoke-ChildPwsh -File $check -ArgumentList @($script:ModuleDir) -Timeout ([TimeSpan]::FromMinutes(2))
    if ($exitCode -ne 0) {
        throw "Importing $script:ModuleDir failed (exit code $exitCode)."
    }
    Write-Host "Built $script:ModuleDir (stubs: $((Get-StubArchitecture) -join ', '))."
}

#endregion

#region Test

# Runs the xunit engine tests; returns their counts read from the TRX file.
function Invoke-EngineTests([switch] $Soak) {
    Write-Step 'Engine tests (xunit)'
    $trx = Join-Path $script:ResultsDir 'engine.trx'
    $arguments = @(
        'test', $script:EngineTestProject, '--nologo', '-c', 'Release',
        '--logger', 'trx;LogFileName=engine.trx', '--results-directory', $script:ResultsDir,
        '--blame-hang-timeout', ($Soak ? '30m' : '5m'), '--blame-hang-dump-type', 'none')
    if (-not $Soak) {
        $arguments += @('--filter', 'Category!=Soak')
    }
    & dotnet @arguments | Out-Host
    $exitCode = $LASTEXITCODE

    $suite = [ordered]@{ Name = 'Engine (xunit)'; Passed = 0; Failed = 0; Skipped = 0; Crashed = $null }
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
            Invoke-EngineTests -Soak:$Soak
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
    # The engine rows and the cmdlet rows land in one CSV under one RunId: ratios come from one run.
    Invoke-UmlTlbBuild
    $resultDir = Join-Path $script:Root 'out/bench'
    New-Item -ItemType Directory -Force -Path $resultDir | Out-Null
    $runId = (Get-Date).ToUniversalTime().ToString('yyyyMMddTHHmmssZ')
    $csv = Join-Path $resultDir "bench-$runId.csv"
    $arguments = @('run', '-c', 'Release', '--project', $script:BenchProject, '--', '--csv', $csv, '--run-id', $runId)
    if ($Quick) {
        $arguments += '--quick'
    }
    $arguments += $BenchArgs
    Write-Step "dotnet $($arguments -join ' ')"
    Invoke-Native dotnet $arguments

    $pages = if ($Quick) { 256 } else { 4096 }
    $repetitions = if ($Quick) { 2 } else { 5 }
    $script = Join-Path $PSScriptRoot 'Bench/cmdlet-bench.ps1'
    Write-Step "cmdlet pipeline ($pages pages)"
    $exitCode = Invoke-ChildPwsh -File $script -ArgumentList @('-Csv', $csv, '-RunId', $runId, '-ModulePath', $script:ModuleDir, '-N', $pages, '-Repetitions', $repetitions) `
        -Timeout ([TimeSpan]::FromMinutes(2))
    if ($exitCode -ne 0) {
        throw "Bench/cmdlet-bench.ps1 failed (exit code $exitCode)."
    }
    Add-CReferenceRows -Csv $csv -RunId $runId -Pages $pages
    Write-BenchTargets -Csv $csv -RunId $runId
    Write-Host "Results: $csv"
}

# The C program of Bench/cref drives the same stub with plain ptrace: the engine's
# single path and batch are compared with it on the machine as it is in this run.
function Add-CReferenceRows {
    param([string] $Csv, [string] $RunId, [int] $Pages)
    $exe = Join-Path $script:Root 'out/bench/cref'
    Write-Step 'C reference (Bench/cref/cref.c)'
    Invoke-Native gcc @('-O2', '-Wall', '-I', (Join-Path $script:Root 'Stubs'), '-o', $exe, (Join-Path $script:Root 'Bench/cref/cref.c'))
    $stubPath = Join-Path $script:ModuleDir 'stubs/umltlb-stub-x86_64'
    $native = Import-Csv $Csv | Where-Object { $_.RunId -eq $RunId -and $_.Way -eq 'native' } | Select-Object -First 1
    foreach ($affinity in 'Colocated', 'Any') {
        $mode = if ($affinity -eq 'Colocated') { 'colo' } else { 'any' }
        $lines = @(& $exe $stubPath $Pages $mode 'nohandler')
        if ($LASTEXITCODE -ne 0) {
            throw "The C reference failed (exit code $LASTEXITCODE)."
        }
        $runs = $lines | ForEach-Object { , [double[]]($_ -split ',') }
        foreach ($column in @(@{ Way = 'c-single'; Index = 1 }, @{ Way = 'c-batch'; Index = 2 })) {
            $values = @($runs | ForEach-Object { $_[$column.Index] } | Sort-Object)
            $median = $values[[int][math]::Floor($values.Count / 2)]
            $ratio = if ($native) { '{0:F2}' -f ($median / [double]$native.NsPerOp) } else { '' }
            [pscustomobject][ordered]@{
                RunId = $RunId; Way = $column.Way; Architecture = 'x86_64'; Affinity = $affinity; BatchPages = 1; N = $Pages
                Ops = 3 * $Pages; Repetitions = $values.Count; NsPerOp = '{0:F0}' -f $median; RatioToNative = $ratio
                Note = 'C program; SETREGS+CONT+waitpid per round trip'
            } | Export-Csv -Path $Csv -Append -NoTypeInformation -UseQuotes Never
        }
    }
}

# The targets of the batching issue, each a ratio of two rows of this run.
function Write-BenchTargets {
    param([string] $Csv, [string] $RunId)
    $rows = @(Import-Csv $Csv | Where-Object RunId -eq $RunId)
    function Get-Ns([string] $Way, [string] $Affinity = 'Colocated', [string] $Pages = '1', [string] $Arch = 'x86_64') {
        $row = $rows | Where-Object { $_.Way -eq $Way -and $_.Architecture -eq $Arch -and ($Way -eq 'native' -or ($_.Affinity -eq $Affinity -and $_.BatchPages -eq $Pages)) -and $_.NsPerOp } | Select-Object -First 1
        if ($row) { [double]$row.NsPerOp } else { [double]::NaN }
    }
    $native = Get-Ns native
    $checks = foreach ($affinity in 'Colocated', 'Any') {
        $batch1 = Get-Ns batch $affinity '1'
        $batch16 = Get-Ns batch $affinity '16'
        $single = Get-Ns single $affinity '1'
        $cSingle = Get-Ns c-single $affinity '1'
        [pscustomobject]@{ Target = "batch, 1 page / native ($affinity)"; Ratio = $batch1 / $native; Limit = 1.3 }
        [pscustomobject]@{ Target = "batch, 16 pages / native ($affinity)"; Ratio = $batch16 / $native; Limit = 1.05 }
        [pscustomobject]@{ Target = "single / C single, same run ($affinity)"; Ratio = $single / $cSingle; Limit = 1.2 }
        [pscustomobject]@{ Target = "batch, 1 page / single ($affinity)"; Ratio = $batch1 / $single; Limit = 1 / 8 }
    }
    $cmdlet = $rows | Where-Object Way -eq 'cmdlet'
    $engineBatch = Get-Ns batch 'Colocated' '1'
    $lines = @($checks | ForEach-Object {
        if ([double]::IsNaN($_.Ratio)) {
            '{0,-45} {1,7}  (not measured in this run)' -f $_.Target, 'n/a'
        } else {
            $verdict = if ($_.Ratio -le $_.Limit) { 'met' } else { 'missed' }
            '{0,-45} {1,6:F2}x  (target <= {2:F3}x)  {3}' -f $_.Target, $_.Ratio, $_.Limit, $verdict
        }
    })
    foreach ($row in $cmdlet) {
        $over = ([double]$row.NsPerOp - $engineBatch) / 1000
        $verdict = if ($over -le 3) { 'met' } else { 'missed' }
        $lines += '{0,-45} {1,6:F1} us/op over the engine batch (target <= 3)  {2}' -f "cmdlets, $($row.Note.Split(';')[0] -replace 'Add-VmOp \| Invoke-VmFlush over ', '')", $over, $verdict
    }
    Write-Host ''
    Write-Host "Targets, all from run $RunId :"
    $lines | ForEach-Object { Write-Host "  $_" }
}

#endregion

Export-ModuleMember -Function Invoke-UmlTlbBuild, Invoke-UmlTlbTest, Invoke-UmlTlbClean, Invoke-UmlTlbDemo, Invoke-UmlTlbBench
