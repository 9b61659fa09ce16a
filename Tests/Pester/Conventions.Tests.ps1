# The conventions of well-kept binary modules, checked against the built module:
# -WhatIf, -Verbose, Write-Progress, completion of running stubs, -Name by property
# name, the manifest and what ships beside it.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = Import-UmlTlbModule
}

AfterAll {
    Stop-TestStub -IncludeRegistered
}

Describe '-WhatIf' -Tag 'CI' {
    It 'Start-StubProcess -WhatIf starts no stub' {
        $before = @(Get-StubProcess).Count
        Start-StubProcess -Name 'whatif-start' -WhatIf | Should -BeNullOrEmpty
        @(Get-StubProcess).Count | Should -Be $before
        Get-StubProcess -Name 'whatif-start' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'Stop-StubProcess -WhatIf leaves the stub running' {
        $stub = Start-TestStub 'whatif-stop'
        Stop-StubProcess -InputObject $stub -WhatIf
        $stub.State | Should -Be 'Running'
        Test-Path "/proc/$($stub.ProcessId)" | Should -BeTrue
    }

    It 'Clear-VmOp -WhatIf keeps the queue' {
        $stub = Start-TestStub 'whatif-clear'
        Add-VmOp Munmap 0x10000000 0x1000 -Stub $stub | Out-Null
        Clear-VmOp -Stub $stub -WhatIf
        $stub.PendingOperations | Should -Be 1
        Clear-VmOp -Stub $stub
        $stub.PendingOperations | Should -Be 0
    }
}

Describe '-Verbose' -Tag 'CI' {
    It 'Start-StubProcess names the pid and the CPU' {
        $records = Start-StubProcess -Name 'verbose-start' -Verbose 4>&1
        $stub = $records | Where-Object { $_ -is [UmlTlb.StubProcess] }
        Register-TestStub $stub
        $message = ($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join ' '
        $message | Should -Match "pid $($stub.ProcessId)\b"
        $message | Should -Match "CPU $($stub.Cpu)\b"
    }

    It 'names the stub picked by default' {
        $stub = Start-TestStub 'verbose-default'
        $message = (Get-VmOp -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join ' '
        $message | Should -Match "No -Stub given: using stub 'verbose-default' \(Id $($stub.Id), pid $($stub.ProcessId)\)"
    }

    It 'Add-VmOp says which op merged, and Invoke-VmFlush how many round trips it took' {
        $stub = Start-TestStub 'verbose-flush'
        $records = & {
            Add-VmOp Mmap 0x10000000 0x1000 rw- 0x0 -Stub $stub -Verbose
            Add-VmOp Mmap 0x10001000 0x1000 rw- 0x1000 -Stub $stub -Verbose
        } 4>&1
        ($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message |
            Should -Match "mmap\(0x10001000, 0x1000, rw-, offset 0x1000\) merged into host op #\d+ of stub 'verbose-flush'"
        $message = (Invoke-VmFlush -Stub $stub -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join ' '
        $message | Should -Match "2 op\(s\) as 1 host op\(s\), 0 batch\(es\) and 1 single call\(s\): 1 round trip\(s\)"
    }
}

Describe 'Write-Progress of a long flush' -Tag 'CI' {
    BeforeAll {
        # Progress starts after a second; for the test, at once (the interval stays 200 ms).
        $script:After = [UmlTlb.Commands.InvokeVmFlushCommand].Assembly.GetType('UmlTlb.Commands.FlushProgress').GetField('After', [Reflection.BindingFlags]'NonPublic,Static')
        $script:Saved = $script:After.GetValue($null)
        $script:After.SetValue($null, [TimeSpan]::Zero)
    }

    AfterAll {
        $script:After.SetValue($null, $script:Saved)
    }

    It 'reports ops run and ops/s with <Preference> progress: <Expected>' -TestCases @(
        @{ Preference = 'Continue'; Expected = $true }
        @{ Preference = 'SilentlyContinue'; Expected = $false }
    ) {
        $stub = Start-TestStub "progress-$Preference"
        $shell = [powershell]::Create()
        try {
            $script = {
                param($Path, $StubId, $Preference)
                Import-Module $Path
                $ProgressPreference = $Preference
                # Streams long enough to pass the 200 ms interval on any machine: the test waits for it, not the clock.
                $sw = [Diagnostics.Stopwatch]::StartNew()
                $i = 0
                & { while ($sw.ElapsedMilliseconds -lt 600) { Add-VmOp Munmap (0x10000000 + ($i++ % 1000) * 0x2000) 0x1000 -Stub $StubId } } |
                    Invoke-VmFlush -Summary
            }
            $null = $shell.AddScript($script).AddArgument($script:ModulePath).AddArgument($stub.Id).AddArgument($Preference)
            $summary = $shell.Invoke()
            $shell.Streams.Error | Should -BeNullOrEmpty
            $summary.Failed | Should -Be 0
            $records = @($shell.Streams.Progress | Where-Object Activity -EQ 'Invoke-VmFlush')
            if ($Expected) {
                $records.Count | Should -BeGreaterThan 1
                $records[0].StatusDescription | Should -Match '^\d+ ops run, \d+ ops/s$'
                $records[-1].RecordType | Should -Be 'Completed'
            } else {
                $records | Should -BeNullOrEmpty
            }
        } finally {
            $shell.Dispose()
        }
    }
}

Describe 'Argument completion of running stubs' -Tag 'CI' {
    BeforeAll {
        $script:Alpha = Start-TestStub 'complete-alpha'
        $script:Beta = Start-TestStub 'complete-beta'
    }

    It 'completes <Line> with <Expected>' -TestCases @(
        @{ Line = 'Stop-StubProcess -Name complete-'; Expected = @('complete-alpha', 'complete-beta') }
        @{ Line = 'Get-StubProcess -Name complete-a'; Expected = @('complete-alpha') }
        @{ Line = 'Add-VmOp -Stub complete-b'; Expected = @('complete-beta') }
        @{ Line = 'Invoke-VmFlush -Stub complete-'; Expected = @('complete-alpha', 'complete-beta') }
        @{ Line = 'Get-StubMapping -Stub complete-'; Expected = @('complete-alpha', 'complete-beta') }
    ) {
        $result = TabExpansion2 -inputScript $Line -cursorColumn $Line.Length
        @($result.CompletionMatches.CompletionText) | Should -Be $Expected
    }

    It 'completes -Id with the ids of running stubs' {
        $line = 'Stop-StubProcess -Id '
        $ids = @((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText)
        $ids | Should -Contain ([string] $script:Alpha.Id)
        $ids | Should -Contain ([string] $script:Beta.Id)
    }
}

Describe '-Name by property name' -Tag 'CI' {
    It 'Get-StubProcess | Select-Object Name | Stop-StubProcess stops the stubs named' {
        $stub = Start-TestStub 'by-property-name'
        Get-StubProcess -Name 'by-property-name' | Select-Object Name | Stop-StubProcess
        $stub.State | Should -Be 'Exited'
    }

    It 'a name that matches no stub is ObjectNotFound with the name as target, from <Command>' -TestCases @(
        @{ Command = 'Get-StubProcess'; Call = { Get-StubProcess -Name 'no-such-stub' -ErrorAction Stop } }
        @{ Command = 'Stop-StubProcess'; Call = { Stop-StubProcess -Name 'no-such-stub' -ErrorAction Stop } }
        @{ Command = 'Stop-StubProcess (pipeline)'; Call = { [pscustomobject]@{ Name = 'no-such-stub' } | Stop-StubProcess -ErrorAction Stop } }
    ) {
        $e = { & $Call } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeLike 'StubProcessNotFound,*'
        $e.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $e.TargetObject | Should -BeExactly 'no-such-stub'
    }
}

Describe 'The manifest and what ships beside it' -Tag 'CI' {
    BeforeAll {
        $script:ManifestPath = Join-Path $script:ModulePath 'UmlTlb.psd1'
        $script:Data = Import-PowerShellDataFile $script:ManifestPath
    }

    It 'passes Test-ModuleManifest' {
        $info = Test-ModuleManifest -Path $script:ManifestPath -ErrorAction Stop
        $info.Name | Should -Be 'UmlTlb'
    }

    It 'lists its cmdlets explicitly, with no wildcard' {
        $script:Data.CmdletsToExport | Should -Not -BeNullOrEmpty
        $script:Data.CmdletsToExport | Where-Object { $_ -match '\*' } | Should -BeNullOrEmpty
    }

    It 'has a description, tags and release notes' {
        $script:Data.Description.Length | Should -BeGreaterThan 40
        $script:Data.PrivateData.PSData.Tags | Should -Contain 'ptrace'
        $script:Data.PrivateData.PSData.ReleaseNotes | Should -Match 'CHANGELOG'
    }

    It 'says why it names no LicenseUri or ProjectUri' {
        $script:Data.PrivateData.PSData.Keys | Should -Not -Contain 'LicenseUri'
        $script:Data.PrivateData.PSData.Keys | Should -Not -Contain 'ProjectUri'
        Get-Content $script:ManifestPath -Raw | Should -Match 'LicenseUri and ProjectUri are left out on purpose'
    }

    It 'ships the LICENSE (MIT) and the CHANGELOG it names' {
        Get-Content (Join-Path $script:ModulePath 'LICENSE') -Raw | Should -Match 'MIT License'
        Get-Content (Join-Path $script:ModulePath 'CHANGELOG.md') -Raw | Should -Match '## \[0\.1\.0\]'
    }
}
