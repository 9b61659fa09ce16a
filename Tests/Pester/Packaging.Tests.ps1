# How a user gets UmlTlb: Publish-PSResource of the built module to a file-system
# repository, Install-PSResource from there into an empty module path, then a fresh
# pwsh -NoProfile imports it by name and runs the demo. Everything happens under a
# temporary HOME, so the user's repositories and modules are never touched.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = Get-UmlTlbModulePath
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) "umltlb-package-$([guid]::NewGuid().ToString('N'))"
    $script:TempHome = Join-Path $script:Root 'home'
    $script:Repository = Join-Path $script:Root 'repository'
    # .NET gives no LocalApplicationData for a folder that does not exist, and PSResourceGet then
    # keeps its repository store relative to the working directory: make them all.
    $null = New-Item -ItemType Directory -Path $script:TempHome, $script:Repository,
        (Join-Path $script:TempHome '.local/share'), (Join-Path $script:TempHome '.config'), (Join-Path $script:TempHome '.cache')

    # Runs a script in a fresh pwsh -NoProfile whose HOME (and so its user module path and
    # its PSResourceGet settings) is the temporary one; returns its exit code and output.
    function Invoke-IsolatedPwsh([string] $Script, [string[]] $Arguments = @()) {
        $file = Join-Path $script:Root "step-$([guid]::NewGuid().ToString('N')).ps1"
        Set-Content -Path $file -Value $Script
        $pwsh = [Environment]::ProcessPath
        $psi = [Diagnostics.ProcessStartInfo]::new($pwsh)
        if ([IO.Path]::GetFileNameWithoutExtension($pwsh) -eq 'dotnet') { $psi.ArgumentList.Add((Join-Path $PSHOME 'pwsh.dll')) }
        foreach ($a in @('-NoProfile', '-NonInteractive', '-File', $file) + $Arguments) { $psi.ArgumentList.Add($a) }
        $psi.Environment['HOME'] = $script:TempHome
        $psi.Environment['XDG_DATA_HOME'] = Join-Path $script:TempHome '.local/share'
        $psi.Environment['XDG_CONFIG_HOME'] = Join-Path $script:TempHome '.config'
        $psi.Environment['XDG_CACHE_HOME'] = Join-Path $script:TempHome '.cache'
        $psi.Environment['NO_COLOR'] = '1'
        # Only the modules that come with PowerShell: the user module path is the temporary HOME's, empty at first.
        $null = $psi.Environment.Remove('PSModulePath')
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $psi.UseShellExecute = $false
        $psi.WorkingDirectory = $script:Root
        $process = [Diagnostics.Process]::Start($psi)
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEndAsync()
        if (-not $process.WaitForExit(180000)) {
            $process.Kill($true)
            throw "$file ran longer than 3 minutes."
        }
        $process.WaitForExit()
        [pscustomobject]@{ ExitCode = $process.ExitCode; Output = $stdout.Result + $stderr.Result }
    }
}

AfterAll {
    if (Test-Path $script:Root) {
        Remove-Item $script:Root -Recurse -Force
    }
}

Describe 'Packaging with PSResourceGet' -Tag 'CI' {
    It 'publishes out/UmlTlb to a local repository, installs it from there and runs the demo after Import-Module UmlTlb' {
        $publish = Invoke-IsolatedPwsh -Arguments @($script:ModulePath, $script:Repository) -Script @'
param($ModulePath, $Repository)
$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name UmlTlbLocal -Uri $Repository -Trusted
Publish-PSResource -Path $ModulePath -Repository UmlTlbLocal
Install-PSResource -Name UmlTlb -Repository UmlTlbLocal -Scope CurrentUser -TrustRepository -Quiet
$installed = Get-InstalledPSResource -Name UmlTlb -Scope CurrentUser
"installed $($installed.Name) $($installed.Version) at $($installed.InstalledLocation)"
'@
        $publish.ExitCode | Should -Be 0 -Because $publish.Output
        Test-Path (Join-Path $script:TempHome '.local/share/PSResourceGet/PSResourceRepository.xml') | Should -BeTrue -Because 'the repository is registered under the temporary HOME only'
        @(Get-ChildItem $script:Repository | Where-Object Name -Like "umltlb.*.nupkg").Count | Should -Be 1

        $demo = Join-Path $PSScriptRoot '../../Demo/Demo.ps1'
        $run = Invoke-IsolatedPwsh -Arguments @($demo, $script:TempHome) -Script @'
param($Demo, $TempHome)
$ErrorActionPreference = 'Stop'
Import-Module UmlTlb
$base = (Get-Module UmlTlb).ModuleBase
if (-not $base.StartsWith($TempHome)) { throw "UmlTlb was imported from $base, not from the installed copy." }
"imported from $base"
(Get-Help Add-VmOp).Synopsis
& $Demo -ModulePath UmlTlb
'@
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Output | Should -Match 'imported from .*/powershell/Modules/UmlTlb'
        $run.Output | Should -Match 'Queues mmap, munmap and mprotect ops'
    }
}
