# Get-VmOp, Clear-VmOp and Get-StubStatistics: the queue and the seed's counters.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = Import-UmlTlbModule
}

AfterAll {
    Stop-TestStub
}

Describe 'Get-VmOp and Clear-VmOp over <Transport>' -Tag 'CI' -ForEach @(@{ Transport = 'Ptrace' }, @{ Transport = 'Doorbell' }) {
    BeforeAll {
        $script:stub = Start-TestStub 'queue' $Transport
    }

    BeforeEach {
        Clear-VmOp -Stub $stub
    }

    It 'lists the pending host ops oldest first, merged as queued' {
        Add-VmOp Mmap 0x10000000 0x1000 rw- 0x0000 -Stub $stub | Out-Null
        Add-VmOp Mmap 0x10001000 0x1000 rw- 0x1000 -Stub $stub | Out-Null
        Add-VmOp Mprotect 0x10000000 0x1000 r-- -Stub $stub | Out-Null
        Add-VmOp Munmap 0x20000000 0x1000 -Stub $stub | Out-Null
        $ops = @(Get-VmOp -Stub $stub)
        $ops | Should -HaveCount 3
        $ops[0] | Should -BeOfType ([UmlTlb.VmOp])
        $ops.Operation | Should -Be @('Mmap', 'Mprotect', 'Munmap')
        $ops[0].Length | Should -Be 0x2000
        $ops[0].Coalesced | Should -BeTrue
        $ops[1].Coalesced | Should -BeFalse
        $ops[1].HostOp | Should -Be ($ops[0].HostOp + 1)
        $ops[2].HostOp | Should -Be ($ops[0].HostOp + 2)
        $stub.PendingOperations | Should -Be 3
        Get-UserMapCount $stub | Should -Be 0
    }

    It 'returns nothing when nothing is pending' {
        @(Get-VmOp -Stub $stub) | Should -HaveCount 0
        $stub.PendingOperations | Should -Be 0
    }

    It 'keeps the pending ops with Clear-VmOp -WhatIf' {
        Add-VmOp Munmap 0x10000000 0x1000 -Stub $stub | Out-Null
        Add-VmOp Mmap 0x20000000 0x1000 rw- 0 -Stub $stub | Out-Null
        Clear-VmOp -Stub $stub -WhatIf
        @(Get-VmOp -Stub $stub) | Should -HaveCount 2
    }

    It 'discards the pending ops without running them' {
        $before = Get-StubStatistics -Stub $stub
        Add-VmOp Mmap 0x10000000 0x1000 rw- 0 -Stub $stub | Out-Null
        Add-VmOp Mmap 0x20000000 0x1000 rw- 0 -Stub $stub | Out-Null
        Clear-VmOp -Stub $stub
        @(Get-VmOp -Stub $stub) | Should -HaveCount 0
        Invoke-VmFlush -Stub $stub | Should -BeNullOrEmpty
        Get-UserMapCount $stub | Should -Be 0
        (Get-StubStatistics -Stub $stub).RoundTrips | Should -Be $before.RoundTrips
    }

    It 'takes the stub from the pipeline for Get-VmOp and Clear-VmOp' {
        Add-VmOp Munmap 0x10000000 0x1000 -Stub $stub | Out-Null
        @($stub | Get-VmOp) | Should -HaveCount 1
        $stub | Clear-VmOp
        $stub.PendingOperations | Should -Be 0
    }

    It 'makes a VmOp cleared from the queue unflushable (VmOpNotPending)' {
        $op = Add-VmOp Mmap 0x10000000 0x1000 rw- 0 -Stub $stub
        Clear-VmOp -Stub $stub
        $op | Invoke-VmFlush -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'VmOpNotPending,UmlTlb.Commands.InvokeVmFlushCommand'
        Get-UserMapCount $stub | Should -Be 0
    }
}

Describe 'Get-StubStatistics over <Transport>' -Tag 'CI' -ForEach @(@{ Transport = 'Ptrace' }, @{ Transport = 'Doorbell' }) {
    BeforeAll {
        $script:fresh = Start-TestStub 'stats' $Transport
    }

    It 'starts every counter at zero' {
        $s = Get-StubStatistics -Stub $fresh
        $s | Should -BeOfType ([UmlTlb.StubStatistics])
        $s.Stub.Id | Should -Be $fresh.Id
        $s.SingleCalls, $s.Batches, $s.BatchedOperations, $s.CoalescedOperations, $s.RoundTrips, $s.Failed |
            Should -Be @(0, 0, 0, 0, 0, 0)
        $s.TimeInStub | Should -Be ([timespan]::Zero)
    }

    It 'counts singles, batches, batched and coalesced ops, round trips and failures' {
        # One single call.
        Add-VmOp Mmap 0x10000000 0x1000 rw- 0 -Stub $fresh | Invoke-VmFlush | Out-Null
        # One batch of 3 host ops from 4 queued ops (one merged).
        Add-VmOp Mmap 0x20000000 0x1000 rw- 0x0000 -Stub $fresh | Out-Null
        Add-VmOp Mmap 0x20001000 0x1000 rw- 0x1000 -Stub $fresh | Out-Null
        Add-VmOp Mprotect 0x20000000 0x1000 r-- -Stub $fresh | Out-Null
        Add-VmOp Munmap 0x10000000 0x1000 -Stub $fresh | Out-Null
        Invoke-VmFlush -Stub $fresh | Out-Null
        # One batch whose second host op fails; the third is skipped.
        Add-VmOp Mmap 0x30000000 0x1000 rw- 0 -Stub $fresh | Out-Null
        Add-VmOp Mprotect 0x40000000 0x1000 r-- -Stub $fresh | Out-Null
        Add-VmOp Mmap 0x50000000 0x1000 rw- 0 -Stub $fresh | Out-Null
        Invoke-VmFlush -Stub $fresh -ErrorAction SilentlyContinue | Out-Null

        $s = Get-StubStatistics -Stub $fresh
        $s.SingleCalls | Should -Be 1
        $s.Batches | Should -Be 2
        $s.BatchedOperations | Should -Be 5
        $s.CoalescedOperations | Should -Be 1
        $s.RoundTrips | Should -Be 3
        $s.Failed | Should -Be 1
        $s.TimeInStub | Should -BeGreaterThan ([timespan]::Zero)
        # 0x20000000 split in two by the mprotect, and 0x30000000.
        Get-UserMapCount $fresh | Should -Be 3
    }

    It 'matches the voluntary context switches of the stub in /proc' {
        $s = Get-StubStatistics -Stub $fresh
        $line = Get-Content "/proc/$($fresh.ProcessId)/status" | Where-Object { $_ -like 'voluntary_ctxt_switches:*' }
        $s.VoluntaryContextSwitches | Should -Be ([long]($line -split ':\s*')[1])
        $s.VoluntaryContextSwitches | Should -BeGreaterOrEqual $s.RoundTrips
    }

    It 'takes the stub from the pipeline' {
        ($fresh | Get-StubStatistics).Stub.Id | Should -Be $fresh.Id
    }
}
