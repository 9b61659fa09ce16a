# The same checks for both stub architectures (issue 5): start state seen from /proc,
# both stub paths, coalescing, per-op errors, memory contents, batching seen from outside.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = Import-UmlTlbModule
}

BeforeDiscovery {
    # Kernels without IA32 emulation cannot run i386 stubs: those tests are skipped, not failed.
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $null = Import-UmlTlbModule
    $script:Architectures = foreach ($architecture in 'x86_64', 'i386') {
        foreach ($transport in 'Ptrace', 'Doorbell') {
            @{ Architecture = $architecture; Transport = $transport; Unsupported = $null -ne (Get-ArchitectureSkipReason $architecture) }
        }
    }
}

Describe 'A <Architecture> stub over <Transport>' -Tag 'CI' -ForEach $Architectures {
    BeforeAll {
        $script:stub = $null
        if (-not $Unsupported) {
            $script:stub = Start-StubProcess -Architecture $Architecture -Transport $Transport -Name "arch-$Architecture-$Transport"
        }
    }

    AfterAll {
        if ($stub) { Stop-StubProcess $stub }
    }

    BeforeEach {
        if ($stub) { Reset-Stub $stub }
    }

    It 'reports its architecture and a user range below its stub pages' -Skip:$Unsupported {
        $stub.Architecture | Should -Be $Architecture
        $stub.State | Should -Be 'Running'
        $stub.UserAddressLimit | Should -Be $stub.StubCodeAddress
        if ($Architecture -eq 'i386') { $stub.UserAddressLimit | Should -BeLessOrEqual 4GB }
        else { $stub.UserAddressLimit | Should -BeGreaterThan 4GB }
    }

    It 'runs as a traced process of the expected ELF class' -Skip:$Unsupported {
        $status = Get-Content "/proc/$($stub.ProcessId)/status"
        ($status | Where-Object { $_ -like 'TracerPid:*' }) -replace '\D', '' | Should -Be "$($stub.TracerThreadId)"
        $exe = [IO.File]::ReadAllBytes("/proc/$($stub.ProcessId)/exe")
        $exe[4] | Should -Be $(if ($Architecture -eq 'i386') { 1 } else { 2 })
    }

    It 'holds only fds 3 and 4' -Skip:$Unsupported {
        @((Get-ChildItem "/proc/$($stub.ProcessId)/fd").Name | Sort-Object) | Should -Be @('3', '4')
    }

    It 'has only its own pages mapped after start' -Skip:$Unsupported {
        $fresh = Start-StubProcess -Architecture $Architecture -Transport $Transport
        try {
            $maps = @(Get-ProcMaps $fresh.ProcessId)
            @($maps | Where-Object Start -LT $fresh.UserAddressLimit) | Should -BeNullOrEmpty
            @($maps | Where-Object Path -In '[stack]', '[heap]') | Should -BeNullOrEmpty
            $maps | Where-Object Start -EQ $fresh.StubCodeAddress | Should -Not -BeNullOrEmpty
            @(Get-StubMapping -Stub $fresh) | Should -HaveCount 0
        }
        finally {
            Stop-StubProcess $fresh
        }
    }

    It 'maps read-only pages without x (no READ_IMPLIES_EXEC)' -Skip:$Unsupported {
        $r = Add-VmOp Mmap 0x10000000 0x1000 r-- 0 -Stub $stub | Invoke-VmFlush
        $r.Status | Should -Be 'Succeeded'
        (Get-MapAt $stub.ProcessId 0x10000000).Perms | Should -BeExactly 'r--s'
    }

    It 'runs one op on the single path and returns the mapped address' -Skip:$Unsupported {
        $r = Add-VmOp Mmap 0x10000000 0x2000 rw- 0x4000 -Stub $stub | Invoke-VmFlush
        $r.Path | Should -Be 'Single'
        $r.Result | Should -Be 0x10000000
        $m = Get-MapAt $stub.ProcessId 0x10001000
        $m.Perms | Should -BeExactly 'rw-s'
        $m.Offset | Should -Be 0x4000
    }

    It 'runs a batch with one result per host op, coalescing contiguous mmaps' -Skip:$Unsupported {
        $ops = @(
            Add-VmOp Mmap 0x10000000 0x1000 rw- 0x0000 -Stub $stub
            Add-VmOp Mmap 0x10001000 0x1000 rw- 0x1000 -Stub $stub
            Add-VmOp Mmap 0x10003000 0x1000 r-- 0x8000 -Stub $stub
            Add-VmOp Mprotect 0x10000000 0x1000 r-- -Stub $stub
            Add-VmOp Munmap 0x10003000 0x1000 -Stub $stub
        )
        $ops[1].Coalesced | Should -BeTrue
        $r = @(Invoke-VmFlush -Stub $stub)
        $r | Should -HaveCount 4
        $r.Path | Should -Be @('Batch', 'Batch', 'Batch', 'Batch')
        $r.Status | Should -Be @('Succeeded', 'Succeeded', 'Succeeded', 'Succeeded')
        $r.MergedCount | Should -Be @(2, 1, 1, 1)
        $r[0].Result | Should -Be 0x10000000
        $r[1].Result | Should -Be 0x10003000
        (Get-MapAt $stub.ProcessId 0x10000000).Perms | Should -BeExactly 'r--s'
        (Get-MapAt $stub.ProcessId 0x10001000).Perms | Should -BeExactly 'rw-s'
        Get-MapAt $stub.ProcessId 0x10003000 | Should -BeNullOrEmpty
    }

    It 'shows the physical memory at the mapped address' -Skip:$Unsupported {
        Write-PhysicalMemory -Stub $stub -Offset 0x6000 -Value ([byte[]](0xca, 0xfe, 0xba, 0xbe))
        Write-PhysicalMemory -Stub $stub -Offset 0x7000 -Value ([byte[]](0x12, 0x34))
        Add-VmOp Mmap 0x10000000 0x1000 r-- 0x6000 -Stub $stub | Out-Null
        Add-VmOp Mmap 0x10001000 0x1000 r-- 0x7000 -Stub $stub | Out-Null
        Invoke-VmFlush -Stub $stub | Out-Null
        [Convert]::ToHexString((Read-StubMemory -Stub $stub 0x10000000 4)) | Should -BeExactly 'CAFEBABE'
        [Convert]::ToHexString((Read-StubMemory -Stub $stub 0x10001000 2)) | Should -BeExactly '1234'
    }

    It 'stops at a failing op with ENOMEM (-12) and skips the rest' -Skip:$Unsupported {
        Add-VmOp Mmap 0x10000000 0x1000 rw- 0 -Stub $stub | Out-Null
        Add-VmOp Mprotect 0x30000000 0x1000 r-- -Stub $stub | Out-Null
        Add-VmOp Mmap 0x10008000 0x1000 rw- 0 -Stub $stub | Out-Null
        $r = @(Invoke-VmFlush -Stub $stub -ErrorVariable err -ErrorAction SilentlyContinue)
        $r.Status | Should -Be @('Succeeded', 'Failed', 'Skipped')
        $r[1].Result | Should -Be -12
        $r[1].Errno | Should -BeExactly 'ENOMEM'
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'StubSyscallFailed,UmlTlb.Commands.InvokeVmFlushCommand'
        Get-MapAt $stub.ProcessId 0x10008000 | Should -BeNullOrEmpty
    }

    It 'rejects a range that reaches its UserAddressLimit' -Skip:$Unsupported {
        Add-VmOp Munmap ($stub.UserAddressLimit - 0x1000) 0x2000 -Stub $stub -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'RangeBeyondUserLimit,UmlTlb.Commands.AddVmOpCommand'
    }

    It 'costs at most 3 voluntary context switches for 64 ops in one flush and at least 60 for 64 flushes' -Skip:$Unsupported {
        Wait-StubAsleep $stub
        $a = Get-VoluntarySwitches $stub.ProcessId
        0..63 | ForEach-Object { Add-VmOp Mmap (0x10000000 + $_ * 0x2000) 0x1000 rw- 0 -Stub $stub } | Out-Null
        $s = Invoke-VmFlush -Stub $stub -Summary
        Wait-StubAsleep $stub
        $b = Get-VoluntarySwitches $stub.ProcessId
        0..63 | ForEach-Object { Add-VmOp Mmap (0x20000000 + $_ * 0x2000) 0x1000 rw- 0 -Stub $stub | Invoke-VmFlush; Wait-StubAsleep $stub } | Out-Null
        $c = Get-VoluntarySwitches $stub.ProcessId
        $s.HostOperations | Should -Be 64
        $s.RoundTrips | Should -Be 1
        @(Get-StubMapping -Stub $stub) | Should -HaveCount 128
        ($b - $a) | Should -BeLessOrEqual 3
        ($c - $b) | Should -BeGreaterOrEqual 60
    }
}
