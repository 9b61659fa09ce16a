# The module as build.ps1 publishes it: manifest, exports, a first stub, and
# what Remove-Module does to the stubs. Runs against $env:UMLTLB_MODULE_PATH
# (build.ps1 Test sets it), else <repo>/out/UmlTlb.

BeforeDiscovery {
    $repoRoot = Join-Path $PSScriptRoot '../..'
    $stubArchitectures = @(Get-ChildItem (Join-Path $repoRoot 'Stubs') -Directory |
            Where-Object { Test-Path (Join-Path $_.FullName 'stub.S') } |
            ForEach-Object { @{ Architecture = $_.Name } })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = Get-UmlTlbModulePath
    $script:Manifest = Import-PowerShellDataFile (Join-Path $script:ModulePath 'UmlTlb.psd1')
    Import-Module $script:ModulePath -Force
}

AfterAll {
    if (Get-Module UmlTlb) {
        Get-StubProcess | Stop-StubProcess
    }
}

Describe 'The UmlTlb module' -Tag 'CI' {
    It 'is imported from the module path given to the tests' {
        (Get-Module UmlTlb).ModuleBase | Should -Be $script:ModulePath
    }

    It 'exports exactly the cmdlets its manifest lists' {
        $script:Manifest.CmdletsToExport.Count | Should -BeGreaterThan 0
        $exported = @((Get-Module UmlTlb).ExportedCmdlets.Keys)
        Compare-Object -ReferenceObject $script:Manifest.CmdletsToExport -DifferenceObject $exported | Should -BeNullOrEmpty
        @(Get-Command -Module UmlTlb -CommandType Cmdlet).Count | Should -Be $script:Manifest.CmdletsToExport.Count
    }

    It 'exports no functions, aliases or variables' {
        $module = Get-Module UmlTlb
        $module.ExportedFunctions.Count | Should -Be 0
        $module.ExportedAliases.Count | Should -Be 0
        $module.ExportedVariables.Count | Should -Be 0
    }

    It 'requires PowerShell 7.4 on the Core edition' {
        $script:Manifest.PowerShellVersion | Should -BeExactly '7.4'
        $script:Manifest.CompatiblePSEditions | Should -BeExactly @('Core')
        (Get-Module UmlTlb).PowerShellVersion | Should -Be ([version] '7.4')
        (Get-Module UmlTlb).CompatiblePSEditions | Should -BeExactly @('Core')
    }

    It 'carries the <Architecture> stub inside UmlTlb.Engine.dll, with no stub file beside it' -TestCases $stubArchitectures {
        param($Architecture)
        Test-Path (Join-Path $script:ModulePath 'stubs') | Should -BeFalse
        $stream = [UmlTlb.StubProcess].Assembly.GetManifestResourceStream("umltlb-stub-$Architecture")
        $stream | Should -Not -BeNullOrEmpty
        try {
            $header = [byte[]]::new(18)
            $stream.ReadExactly($header)
        }
        finally {
            $stream.Dispose()
        }
        # A static ELF executable: the magic, then ET_EXEC.
        [Text.Encoding]::ASCII.GetString($header, 1, 3) | Should -BeExactly 'ELF'
        [BitConverter]::ToUInt16($header, 16) | Should -Be 2
    }
}

Describe 'Start-StubProcess' -Tag 'CI' {
    BeforeAll {
        $script:Stub = Start-StubProcess -Name 'module-test'
    }

    AfterAll {
        if ($script:Stub -and (Get-StubProcess -Name 'module-test' -ErrorAction SilentlyContinue)) {
            Stop-StubProcess -InputObject $script:Stub
        }
    }

    It 'returns a running UmlTlb.StubProcess' {
        $script:Stub | Should -BeOfType ([UmlTlb.StubProcess])
        $script:Stub.PSObject.TypeNames[0] | Should -BeExactly 'UmlTlb.StubProcess'
        $script:Stub.Name | Should -BeExactly 'module-test'
        $script:Stub.State | Should -Be 'Running'
        Test-Path "/proc/$($script:Stub.ProcessId)" | Should -BeTrue
    }

    It 'is traced by its tracer thread, a thread of this process, as /proc/PID/status shows' {
        $script:Stub.TracerThreadId | Should -BeGreaterThan 0
        Test-Path "/proc/$PID/task/$($script:Stub.TracerThreadId)" | Should -BeTrue
        Get-TracerPid $script:Stub.ProcessId | Should -Be $script:Stub.TracerThreadId
    }

    It 'is gone from /proc once Stop-StubProcess returns' {
        $processId = $script:Stub.ProcessId
        Stop-StubProcess -InputObject $script:Stub
        Test-Path "/proc/$processId" | Should -BeFalse
        $script:Stub.State | Should -Be 'Exited'
    }
}

Describe 'Remove-Module UmlTlb' -Tag 'CI' {
    AfterEach {
        Import-Module $script:ModulePath -Force
    }

    It 'stops the stubs this runspace started' {
        $stubs = @(Start-StubProcess -Name 'removed-1'; Start-StubProcess -Name 'removed-2')
        $processIds = @($stubs.ProcessId)
        $processIds.Count | Should -Be 2
        foreach ($processId in $processIds) {
            Test-Path "/proc/$processId" | Should -BeTrue
        }

        Remove-Module UmlTlb

        Get-Module UmlTlb | Should -BeNullOrEmpty
        foreach ($processId in $processIds) {
            Wait-ProcessGone $processId | Should -BeTrue -Because "stub pid $processId should be stopped by Remove-Module"
        }
    }

    It 'leaves the stubs another runspace started running until that runspace closes' {
        $other = [powershell]::Create()
        try {
            $null = $other.AddScript('param($Path) Import-Module $Path; Start-StubProcess -Name other-runspace').AddArgument($script:ModulePath)
            $theirs = @($other.Invoke())
            $other.HadErrors | Should -BeFalse
            $theirs.Count | Should -Be 1
            $theirProcessId = $theirs[0].ProcessId
            $ours = Start-StubProcess -Name 'this-runspace'

            Remove-Module UmlTlb

            Wait-ProcessGone $ours.ProcessId | Should -BeTrue
            Test-Path "/proc/$theirProcessId" | Should -BeTrue
            $other.Runspace.Close()
            Wait-ProcessGone $theirProcessId | Should -BeTrue
        } finally {
            $other.Dispose()
        }
    }
}
