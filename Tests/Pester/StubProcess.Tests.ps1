# Start-StubProcess, Get-StubProcess, Stop-StubProcess: what a stub is after start, seen from /proc.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = Import-UmlTlbModule
}

AfterAll {
    Stop-TestStub
}

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $null = Import-UmlTlbModule
    $script:I386Unsupported = $null -ne (Get-ArchitectureSkipReason 'i386')
}

Describe 'Start-StubProcess' -Tag 'CI' {
    BeforeAll {
        $script:stub = Start-TestStub 'props'
    }

    It 'returns a UmlTlb.StubProcess with the name it was given' {
        $stub | Should -BeOfType ([UmlTlb.StubProcess])
        $stub.Name | Should -BeExactly 'props'
        $stub.Id | Should -BeGreaterThan 0
    }

    It 'starts a live process whose pid is ProcessId' {
        $stub.ProcessId | Should -BeGreaterThan 0
        "/proc/$($stub.ProcessId)" | Should -Exist
        (Get-Content "/proc/$($stub.ProcessId)/comm") | Should -BeLike 'umltlb-stub*'
    }

    It 'has the default properties: x86_64, Running, 64 MiB of physical memory, one page of batch area' {
        $stub.Architecture | Should -Be ([UmlTlb.StubArchitecture]::x86_64)
        $stub.State | Should -Be ([UmlTlb.StubState]::Running)
        $stub.PhysicalMemorySize | Should -Be (64MB)
        $stub.BatchCapacity | Should -BeGreaterOrEqual 64
        $stub.BatchPages | Should -Be 1
    }

    It 'uses the Doorbell transport unless told otherwise, and Ptrace when told' {
        $default = Start-StubProcess -Name 'props-default-transport'
        Register-TestStub $default
        $default.Transport | Should -Be ([UmlTlb.StubTransport]::Doorbell)
        $stub.Transport | Should -Be ([UmlTlb.StubTransport]::Ptrace)
        # A Ptrace stub waits in its ptrace stop between round trips.
        (Get-ProcStatusValue $stub.ProcessId 'State') | Should -BeLike 't*'
        Stop-StubProcess $default
    }

    It 'starts with -Transport Doorbell a stub that waits on its doorbell futex, not in a ptrace stop, still traced' {
        $d = Start-TestStub 'props' Doorbell
        $d.Transport | Should -Be ([UmlTlb.StubTransport]::Doorbell)
        Wait-Condition { (Get-Content "/proc/$($d.ProcessId)/wchan" -Raw) -like '*futex*' } | Should -BeTrue
        (Get-ProcStatusValue $d.ProcessId 'State') | Should -BeLike 'S*'
        Get-TracerPid $d.ProcessId | Should -Be $d.TracerThreadId
        $r = Add-VmOp Mmap 0x10000000 0x1000 rw- 0 -Stub $d | Invoke-VmFlush
        $r.Status | Should -Be 'Succeeded'
        Get-MapAt $d.ProcessId 0x10000000 | Should -Not -BeNullOrEmpty
        (Get-StubStatistics -Stub $d).RoundTrips | Should -Be 1
    }

    It 'refuses an unknown -Transport, naming the parameter and the value' {
        $e = { Start-StubProcess -Name 'bad-transport' -Transport Carrier } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeLike 'CannotConvertArgumentNoMessage,*'
        $e.Exception.Message | Should -Match 'Transport'
        $e.Exception.Message | Should -Match 'Carrier'
        Get-StubProcess -Name 'bad-transport' -ErrorAction Ignore | Should -BeNullOrEmpty
    }

    It 'places the stub code at UserAddressLimit and the data area one page above it' {
        $stub.StubCodeAddress | Should -BeGreaterThan 0
        $stub.UserAddressLimit | Should -Be $stub.StubCodeAddress
        $stub.StubDataAddress | Should -Be ($stub.StubCodeAddress + 4096)
        $stub.StubCodeAddress % 4096 | Should -Be 0
    }

    It 'records a StartTime of now' {
        $stub.StartTime | Should -BeOfType ([datetime])
        ([datetime]::Now - $stub.StartTime).TotalMinutes | Should -BeLessThan 5
        $stub.StartTime | Should -BeLessOrEqual ([datetime]::Now)
    }

    It 'is traced by a thread of this PowerShell process (TracerPid)' {
        $tracer = [int](Get-ProcStatusValue $stub.ProcessId 'TracerPid')
        $tracer | Should -Not -Be 0
        "/proc/$PID/task/$tracer" | Should -Exist
        $tracer | Should -Be $stub.TracerThreadId
    }

    It 'holds only fds 3 and 4: the data area and the physical-memory memfd' {
        $fds = Get-ChildItem "/proc/$($stub.ProcessId)/fd"
        @($fds.Name | Sort-Object) | Should -Be @('3', '4')
        ($fds | Where-Object Name -EQ '3').LinkTarget | Should -BeLike '/memfd:umltlb-data*'
        ($fds | Where-Object Name -EQ '4').LinkTarget | Should -BeLike '/memfd:umltlb-physmem*'
    }

    It 'leaves only the stub pages (and kernel pages) in /proc/pid/maps after start' {
        $maps = @(Get-ProcMaps $stub.ProcessId)
        $user = @($maps | Where-Object { $_.Start -lt $stub.UserAddressLimit })
        $user | Should -BeNullOrEmpty
        $maps | Where-Object Start -EQ $stub.StubCodeAddress | Should -Not -BeNullOrEmpty
        $maps | Where-Object Start -EQ $stub.StubDataAddress | Should -Not -BeNullOrEmpty
        $others = @($maps | Where-Object { $_.Start -ne $stub.StubCodeAddress -and $_.Start -ne $stub.StubDataAddress -and $_.Path -notmatch '^\[(vdso|vvar|vvar_vclock|vsyscall)\]$' })
        $others | Should -BeNullOrEmpty
        @($maps | Where-Object Path -In '[stack]', '[heap]') | Should -BeNullOrEmpty
    }

    It 'has nothing for Get-StubMapping without -All right after start' {
        @(Get-StubMapping -Stub $stub) | Should -HaveCount 0
    }

    It 'accepts -BatchPages <Pages> and grows BatchCapacity with it' -TestCases @(
        @{ Pages = 1 }
        @{ Pages = 16 }
        @{ Pages = 256 }
    ) {
        $s = Start-StubProcess -BatchPages $Pages
        Register-TestStub $s
        try {
            $s.BatchPages | Should -Be $Pages
            $s.BatchCapacity | Should -BeGreaterOrEqual (64 * $Pages)
            (Get-ProcMaps $s.ProcessId | Where-Object Start -EQ $s.StubDataAddress).End - $s.StubDataAddress | Should -Be (4096 * $Pages)
        }
        finally {
            Stop-StubProcess $s
        }
    }

    It 'rejects -BatchPages <Pages>' -TestCases @(
        @{ Pages = 0 }
        @{ Pages = 257 }
        @{ Pages = -1 }
    ) {
        $before = @(Get-StubProcess).Count
        $e = { Start-StubProcess -BatchPages $Pages } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'ParameterArgumentValidationError,UmlTlb.Commands.StartStubProcessCommand'
        @(Get-StubProcess).Count | Should -Be $before
    }

    It 'takes -PhysicalMemorySize as a hex string' {
        $s = Start-StubProcess -PhysicalMemorySize '0x100000'
        Register-TestStub $s
        try {
            $s.PhysicalMemorySize | Should -Be 1MB
        }
        finally {
            Stop-StubProcess $s
        }
    }

    It 'rejects an unknown -Architecture' {
        $before = @(Get-StubProcess).Count
        $e = { Start-StubProcess -Architecture 'arm64' } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'CannotConvertArgumentNoMessage,UmlTlb.Commands.StartStubProcessCommand'
        @(Get-StubProcess).Count | Should -Be $before
    }

    It 'tab-completes -Architecture with <Expected>' -TestCases @(
        @{ Expected = 'x86_64' }
        @{ Expected = 'i386' }
    ) {
        $line = 'Start-StubProcess -Architecture '
        $completion = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $completion.CompletionMatches.CompletionText | Should -Contain $Expected
    }

    It 'refuses -Architecture i386 with the reason on a kernel that runs no 32-bit programs' -Skip:(-not $I386Unsupported) {
        $e = { Start-StubProcess -Architecture i386 -Name 'arch32-refused' } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'StubArchitectureNotSupported,UmlTlb.Commands.StartStubProcessCommand'
        $e.Exception.Message | Should -Match 'ENOEXEC'
        Get-StubProcess -Name 'arch32-refused' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'starts an i386 stub with -Architecture i386' -Skip:$I386Unsupported {
        $s = Start-StubProcess -Architecture i386 -Name 'arch32'
        Register-TestStub $s
        try {
            $s.Architecture | Should -Be ([UmlTlb.StubArchitecture]::i386)
            $s.UserAddressLimit | Should -BeLessThan 4GB
            (Get-ProcStatusValue $s.ProcessId 'TracerPid') | Should -Not -Be '0'
        }
        finally {
            Stop-StubProcess $s
        }
    }
}

Describe 'Get-StubProcess' -Tag 'CI' {
    BeforeAll {
        $script:g1 = Start-StubProcess -Name 'getme-alpha'
        $script:g2 = Start-StubProcess -Name 'getme-beta'
        $script:g3 = Start-StubProcess -Name 'other-gamma'
        $g1, $g2, $g3 | Register-TestStub
    }

    It 'lists every stub of the session' {
        $ids = (Get-StubProcess).Id
        $ids | Should -Contain $g1.Id
        $ids | Should -Contain $g2.Id
        $ids | Should -Contain $g3.Id
    }

    It 'finds stubs by -Id' {
        $found = @(Get-StubProcess -Id $g2.Id, $g3.Id)
        $found | Should -HaveCount 2
        $found[0].ProcessId | Should -Be $g2.ProcessId
        $found[1].ProcessId | Should -Be $g3.ProcessId
    }

    It 'returns the same live object that Start-StubProcess returned' {
        [object]::ReferenceEquals((Get-StubProcess -Id $g1.Id), $g1) | Should -BeTrue
    }

    It 'finds stubs by -Name <Pattern>' -TestCases @(
        @{ Pattern = 'getme-*'; Expected = @('getme-alpha', 'getme-beta') }
        @{ Pattern = '*-gamma'; Expected = @('other-gamma') }
        @{ Pattern = 'GETME-ALPHA'; Expected = @('getme-alpha') }
        @{ Pattern = 'nomatch*'; Expected = @() }
    ) {
        @((Get-StubProcess -Name $Pattern).Name | Sort-Object) | Should -Be $Expected
    }

    It 'writes StubProcessNotFound for an -Id that no stub has' {
        $r = Get-StubProcess -Id 999999 -ErrorVariable err -ErrorAction SilentlyContinue
        $r | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'StubProcessNotFound,UmlTlb.Commands.GetStubProcessCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'writes StubProcessNotFound for a literal -Name that no stub has' {
        Get-StubProcess -Name 'no-such-stub' -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'StubProcessNotFound,UmlTlb.Commands.GetStubProcessCommand'
    }
}

Describe 'Stop-StubProcess' -Tag 'CI' {
    It 'leaves the stub running with -WhatIf' {
        $s = Start-StubProcess -Name 'whatif'
        Register-TestStub $s
        Stop-StubProcess $s -WhatIf
        $s.State | Should -Be 'Running'
        "/proc/$($s.ProcessId)" | Should -Exist
        (Get-StubProcess -Id $s.Id).Id | Should -Be $s.Id
        Stop-StubProcess $s
    }

    It 'kills and reaps the stub and returns it with State Exited under -PassThru' {
        $s = Start-StubProcess -Name 'passthru'
        Register-TestStub $s
        $stubPid = $s.ProcessId
        $out = Stop-StubProcess $s -PassThru
        $out | Should -HaveCount 1
        $out.Id | Should -Be $s.Id
        $out.State | Should -Be 'Exited'
        "/proc/$stubPid" | Should -Not -Exist
        Get-StubProcess -Id $s.Id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'writes nothing without -PassThru' {
        $s = Start-StubProcess
        Register-TestStub $s
        Stop-StubProcess $s | Should -BeNullOrEmpty
        $s.State | Should -Be 'Exited'
    }

    It 'stops several stubs from the pipeline' {
        $many = 1..3 | ForEach-Object { Start-StubProcess -Name "piped$_" }
        $many | Register-TestStub
        $pids = $many.ProcessId
        $out = $many | Stop-StubProcess -PassThru
        $out | Should -HaveCount 3
        $out.State | Should -Be @('Exited', 'Exited', 'Exited')
        foreach ($p in $pids) { "/proc/$p" | Should -Not -Exist }
    }

    It 'stops stubs by -Name wildcard and by -Id' {
        $a = Start-StubProcess -Name 'byname-1'
        $b = Start-StubProcess -Name 'byname-2'
        $c = Start-StubProcess -Name 'byid'
        $a, $b, $c | Register-TestStub
        Stop-StubProcess -Name 'byname-*'
        Stop-StubProcess -Id $c.Id
        $a.State, $b.State, $c.State | Should -Be @('Exited', 'Exited', 'Exited')
        "/proc/$($a.ProcessId)", "/proc/$($b.ProcessId)", "/proc/$($c.ProcessId)" | ForEach-Object { $_ | Should -Not -Exist }
    }
}
