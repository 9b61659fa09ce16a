# Invoke-VmFlush: nothing runs before it; one result per host op; single and batch
# paths; streaming in bounded memory; stop at the first failure or -ContinueOnError; -Summary.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = Import-UmlTlbModule

    # N one-page mmaps two pages apart, so that none merges.
    function New-SeparateMmap([int] $Count, [uint64] $Base = 0x10000000, [string] $Protection = 'rw-') {
        for ($i = 0; $i -lt $Count; $i++) {
            [pscustomobject]@{ Operation = 'Mmap'; Address = $Base + [uint64]$i * 0x2000; Length = 0x1000; Protection = $Protection; Offset = 0 }
        }
    }
}

AfterAll {
    Stop-TestStub
}

Describe 'Invoke-VmFlush over <Transport>' -Tag 'CI' -ForEach @(@{ Transport = 'Ptrace' }, @{ Transport = 'Doorbell' }) {
    BeforeAll {
        $script:stub = Start-TestStub 'flush' $Transport
    }

    BeforeEach {
        Reset-Stub $stub 0x20000000
    }

    It 'runs nothing before the flush: Add-VmOp alone leaves the maps unchanged' {
        $before = (Get-Content "/proc/$($stub.ProcessId)/maps") -join "`n"
        New-SeparateMmap 5 | Add-VmOp -Stub $stub | Out-Null
        Start-Sleep -Milliseconds 50
        (Get-Content "/proc/$($stub.ProcessId)/maps") -join "`n" | Should -BeExactly $before
        $stub.PendingOperations | Should -Be 5
        Invoke-VmFlush -Stub $stub | Out-Null
        @(Get-UserMaps $stub) | Should -HaveCount 5
        $stub.PendingOperations | Should -Be 0
    }

    It 'writes one VmOpResult per host op with every property set' {
        Add-VmOp Mmap 0x10000000 0x1000 rw- 0x0000 -Stub $stub | Out-Null
        Add-VmOp Mmap 0x10001000 0x1000 rw- 0x1000 -Stub $stub | Out-Null
        Add-VmOp Mprotect 0x10000000 0x1000 r-- -Stub $stub | Out-Null
        Add-VmOp Munmap 0x10001000 0x1000 -Stub $stub | Out-Null
        $r = @(Invoke-VmFlush -Stub $stub)
        $r | Should -HaveCount 3
        $r[0] | Should -BeOfType ([UmlTlb.VmOpResult])
        $r[0].Stub.Id | Should -Be $stub.Id
        $r[0].Sequence | Should -BeGreaterThan 0
        $r.Sequence | Should -Be @($r[0].Sequence, ($r[0].Sequence + 1), ($r[0].Sequence + 2))
        $r.Operation | Should -Be @('Mmap', 'Mprotect', 'Munmap')
        ($r | ForEach-Object Address) | Should -Be @(0x10000000, 0x10000000, 0x10001000)
        ($r | ForEach-Object Length) | Should -Be @(0x2000, 0x1000, 0x1000)
        $r.Protection | Should -Be @([UmlTlb.VmProtection]'Read, Write', [UmlTlb.VmProtection]'Read', [UmlTlb.VmProtection]'None')
        $r.Offset | Should -Be @(0, 0, 0)
        $r.MergedCount | Should -Be @(2, 1, 1)
        $r.Status | Should -Be @('Succeeded', 'Succeeded', 'Succeeded')
        $r[0].Result | Should -Be 0x10000000
        $r[1].Result | Should -Be 0
        $r[2].Result | Should -Be 0
        $r.Errno | Should -Be @('', '', '')
        $r.Path | Should -Be @('Batch', 'Batch', 'Batch')
        $r.Batch | Should -Be @($r[0].Batch, $r[0].Batch, $r[0].Batch)
        $r[0].Batch | Should -BeGreaterThan 0
        $maps = @(Get-UserMaps $stub)
        $maps | Should -HaveCount 1
        $maps[0].Start | Should -Be 0x10000000
        $maps[0].End | Should -Be 0x10001000
        $maps[0].Perms | Should -BeExactly 'r--s'
    }

    It 'runs a single op through syscall_stub: Path Single, Batch 0, SingleCalls + 1' {
        $before = Get-StubStatistics -Stub $stub
        $r = Add-VmOp Mmap 0x10000000 0x1000 r-- 0 -Stub $stub | Invoke-VmFlush
        $after = Get-StubStatistics -Stub $stub
        $r.Path | Should -Be 'Single'
        $r.Batch | Should -Be 0
        $r.Result | Should -Be 0x10000000
        $after.SingleCalls | Should -Be ($before.SingleCalls + 1)
        $after.Batches | Should -Be $before.Batches
        $after.RoundTrips | Should -Be ($before.RoundTrips + 1)
        (Get-MapAt $stub.ProcessId 0x10000000).Perms | Should -BeExactly 'r--s'
    }

    It 'runs several ops through batch_syscall_stub in one round trip' {
        $before = Get-StubStatistics -Stub $stub
        $r = @(New-SeparateMmap 10 | Add-VmOp -Stub $stub | Invoke-VmFlush)
        $after = Get-StubStatistics -Stub $stub
        $r | Should -HaveCount 10
        @($r.Path | Select-Object -Unique) | Should -Be @('Batch')
        @($r.Batch | Select-Object -Unique) | Should -Be @($after.Batches)
        $after.Batches | Should -Be ($before.Batches + 1)
        $after.BatchedOperations | Should -Be ($before.BatchedOperations + 10)
        $after.RoundTrips | Should -Be ($before.RoundTrips + 1)
        $after.SingleCalls | Should -Be $before.SingleCalls
        @(Get-UserMaps $stub) | Should -HaveCount 10
    }

    It 'flushes only the stub it is given' {
        $other = Start-StubProcess -Name "flush-other-$Transport" -Transport $Transport
        Register-TestStub $other
        try {
            Add-VmOp Mmap 0x10000000 0x1000 rw- 0 -Stub $other | Out-Null
            Add-VmOp Mmap 0x10000000 0x1000 rw- 0 -Stub $stub | Out-Null
            $r = Invoke-VmFlush -Stub $other
            $r.Stub.Id | Should -Be $other.Id
            Get-MapAt $other.ProcessId 0x10000000 | Should -Not -BeNullOrEmpty
            Get-MapAt $stub.ProcessId 0x10000000 | Should -BeNullOrEmpty
            $stub.PendingOperations | Should -Be 1
        }
        finally {
            Stop-StubProcess $other
        }
    }

    It 'flushes a stub piped to it, and only that stub' {
        $other = Start-TestStub 'flush-piped-other' $Transport
        New-SeparateMmap 3 | Add-VmOp -Stub $stub | Out-Null
        New-SeparateMmap 2 | Add-VmOp -Stub $other | Out-Null
        $results = @($stub | Invoke-VmFlush)
        $results | Should -HaveCount 3
        @(Get-UserMaps $stub) | Should -HaveCount 3
        $other.PendingOperations | Should -Be 2
        @(Get-UserMaps $other) | Should -HaveCount 0
    }

    It 'writes NotAVmOp for piped input that is neither a VmOp nor a stub' {
        $r = 'mmap' | Invoke-VmFlush -ErrorVariable err -ErrorAction SilentlyContinue
        $r | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'NotAVmOp,UmlTlb.Commands.InvokeVmFlushCommand'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidType'
    }

    Context 'commands later in the same pipeline' {
        It 'may stop the stub while results still arrive' {
            $victim = Start-TestStub 'flush-stop-midway' $Transport
            New-SeparateMmap 3 | Add-VmOp -Stub $victim | Out-Null
            $seen = @(Invoke-VmFlush -Stub $victim | ForEach-Object { if ($_.Sequence -eq 1) { Stop-StubProcess $victim }; $_ })
            $seen | Should -HaveCount 3
            $seen.Status | Should -Be @('Succeeded', 'Succeeded', 'Succeeded')
            $victim.State | Should -Be 'Exited'
            Test-Path "/proc/$($victim.ProcessId)" | Should -BeFalse
        }

        It 'may queue an op that then runs, and never merges it into one that already ran' {
            Add-VmOp Mmap 0x10000000 0x1000 rw- 0x0 -Stub $stub | Out-Null
            Add-VmOp Mmap 0x10002000 0x1000 rw- 0x2000 -Stub $stub | Out-Null
            # The new op continues the second one in address and offset: merged into it, it would never run.
            $added = @(Invoke-VmFlush -Stub $stub | Select-Object -Last 1 |
                ForEach-Object { Add-VmOp Mmap 0x10003000 0x1000 rw- 0x3000 -Stub $stub })
            $added | Should -HaveCount 1
            $added[0].Coalesced | Should -BeFalse
            $stub.PendingOperations | Should -Be 1
            Invoke-VmFlush -Stub $stub | ForEach-Object Status | Should -Be 'Succeeded'
            Get-MapAt $stub.ProcessId 0x10003000 | Should -Not -BeNullOrEmpty
            $stub.PendingOperations | Should -Be 0
        }

        It 'may clear the queue without breaking it' {
            New-SeparateMmap 3 | Add-VmOp -Stub $stub | Out-Null
            Invoke-VmFlush -Stub $stub | ForEach-Object { Clear-VmOp -Stub $stub } | Out-Null
            $stub.PendingOperations | Should -Be 0
            Add-VmOp Munmap 0x10000000 0x1000 -Stub $stub | Invoke-VmFlush | ForEach-Object Status | Should -Be 'Succeeded'
        }
    }

    It 'writes VmOpNotQueued for a VmOp that never went through Add-VmOp' {
        $op = [UmlTlb.VmOp]@{ Operation = 'Mmap'; Address = 0x10000000; Length = 0x1000; Protection = 'Read' }
        $r = $op | Invoke-VmFlush -ErrorVariable err -ErrorAction SilentlyContinue
        $r | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'VmOpNotQueued,UmlTlb.Commands.InvokeVmFlushCommand'
        Get-MapAt $stub.ProcessId 0x10000000 | Should -BeNullOrEmpty
    }

    It 'runs a VmOp that was flushed already no second time, and says so in the verbose stream' {
        $op = Add-VmOp Mmap 0x10000000 0x1000 rw- 0 -Stub $stub
        $op | Invoke-VmFlush | Out-Null
        $before = (Get-StubStatistics -Stub $stub).RoundTrips
        $r = $op | Invoke-VmFlush -ErrorVariable err -ErrorAction SilentlyContinue -Verbose 4>&1
        @($r | Where-Object { $_ -is [UmlTlb.VmOpResult] }) | Should -HaveCount 0
        $err | Should -HaveCount 0
        ($r | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Match 'already ran'
        (Get-StubStatistics -Stub $stub).RoundTrips | Should -Be $before
    }

    Context 'streaming' {
        It 'runs 1000 piped ops in ceil(1000 / BatchCapacity) batches, never queueing more than BatchCapacity + 1' {
            $capacity = $stub.BatchCapacity
            $script:maxPending = 0
            $before = Get-StubStatistics -Stub $stub
            $r = @(New-SeparateMmap 1000 |
                    Add-VmOp -Stub $stub |
                    ForEach-Object { $p = $stub.PendingOperations; if ($p -gt $script:maxPending) { $script:maxPending = $p }; $_ } |
                    Invoke-VmFlush)
            $after = Get-StubStatistics -Stub $stub
            $expected = [math]::Ceiling(1000 / $capacity)
            $r | Should -HaveCount 1000
            @($r | Where-Object Status -NE 'Succeeded') | Should -BeNullOrEmpty
            @($r.Batch | Select-Object -Unique) | Should -HaveCount $expected
            ($after.Batches - $before.Batches) | Should -Be $expected
            $script:maxPending | Should -BeLessOrEqual ($capacity + 1)
            $script:maxPending | Should -BeGreaterThan 1
            @(Get-VmOp -Stub $stub) | Should -HaveCount 0
            @(Get-UserMaps $stub) | Should -HaveCount 1000
        }

        It 'streams results: the first batch is written before the last op is queued' {
            $capacity = $stub.BatchCapacity
            $script:firstResultAt = $null
            $script:queuedSoFar = 0
            New-SeparateMmap ($capacity * 3) |
                Add-VmOp -Stub $stub |
                ForEach-Object { $script:queuedSoFar++; $_ } |
                Invoke-VmFlush |
                ForEach-Object { if ($null -eq $script:firstResultAt) { $script:firstResultAt = $script:queuedSoFar } } 
            $script:firstResultAt | Should -Not -BeNullOrEmpty
            $script:firstResultAt | Should -BeLessThan ($capacity * 3)
        }
    }

    Context 'a failing op' {
        BeforeAll {
            # mprotect of a range with nothing mapped fails with ENOMEM.
            $script:FailingRows = @(
                [pscustomobject]@{ Operation = 'Mmap'; Address = '0x10000000'; Length = '0x1000'; Protection = 'rw-'; Offset = '0' }
                [pscustomobject]@{ Operation = 'Mmap'; Address = '0x10010000'; Length = '0x1000'; Protection = 'rw-'; Offset = '0' }
                [pscustomobject]@{ Operation = 'Mprotect'; Address = '0x30000000'; Length = '0x1000'; Protection = 'r--'; Offset = '' }
                [pscustomobject]@{ Operation = 'Mmap'; Address = '0x10020000'; Length = '0x1000'; Protection = 'rw-'; Offset = '0' }
                [pscustomobject]@{ Operation = 'Mmap'; Address = '0x10030000'; Length = '0x1000'; Protection = 'rw-'; Offset = '0' }
            )
        }

        It 'stops the flush there: ENOMEM, -12, the later ops Skipped and not run' {
            $r = @($FailingRows | Add-VmOp -Stub $stub | Invoke-VmFlush -ErrorVariable err -ErrorAction SilentlyContinue)
            $r | Should -HaveCount 5
            $r.Status | Should -Be @('Succeeded', 'Succeeded', 'Failed', 'Skipped', 'Skipped')
            $r[2].Result | Should -Be -12
            $r[2].Errno | Should -BeExactly 'ENOMEM'
            $r[2].Operation | Should -Be 'Mprotect'
            $r[3].Result | Should -Be 0
            Get-MapAt $stub.ProcessId 0x10000000 | Should -Not -BeNullOrEmpty
            Get-MapAt $stub.ProcessId 0x10010000 | Should -Not -BeNullOrEmpty
            Get-MapAt $stub.ProcessId 0x10020000 | Should -BeNullOrEmpty
            Get-MapAt $stub.ProcessId 0x10030000 | Should -BeNullOrEmpty
            $stub.PendingOperations | Should -Be 0
        }

        It 'writes one non-terminating StubSyscallFailed error naming the errno and the op' {
            $r = @($FailingRows | Add-VmOp -Stub $stub | Invoke-VmFlush -ErrorVariable err -ErrorAction SilentlyContinue)
            $r | Should -HaveCount 5
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'StubSyscallFailed,UmlTlb.Commands.InvokeVmFlushCommand'
            $err[0].Exception.Message | Should -Match 'ENOMEM'
            $err[0].Exception.Message | Should -Match '0x30000000'
            $err[0].TargetObject.Status | Should -Be 'Failed'
            $err[0].TargetObject.Address | Should -Be 0x30000000
        }

        It 'runs every op with -ContinueOnError' {
            $r = @($FailingRows | Add-VmOp -Stub $stub | Invoke-VmFlush -ContinueOnError -ErrorVariable err -ErrorAction SilentlyContinue)
            $r.Status | Should -Be @('Succeeded', 'Succeeded', 'Failed', 'Succeeded', 'Succeeded')
            $r[2].Errno | Should -BeExactly 'ENOMEM'
            $err | Should -HaveCount 1
            Get-MapAt $stub.ProcessId 0x10020000 | Should -Not -BeNullOrEmpty
            Get-MapAt $stub.ProcessId 0x10030000 | Should -Not -BeNullOrEmpty
        }

        It 'skips what follows in later data areas too' {
            $capacity = $stub.BatchCapacity
            $rows = @([pscustomobject]@{ Operation = 'Mprotect'; Address = '0x30000000'; Length = '0x1000'; Protection = 'r--' }) +
                @(New-SeparateMmap ($capacity * 2))
            $r = @($rows | Add-VmOp -Stub $stub | Invoke-VmFlush -ErrorAction SilentlyContinue)
            $r | Should -HaveCount ($capacity * 2 + 1)
            $r[0].Status | Should -Be 'Failed'
            @($r | Select-Object -Skip 1 | Where-Object Status -NE 'Skipped') | Should -BeNullOrEmpty
            @(Get-UserMaps $stub) | Should -BeNullOrEmpty
        }

        It 'fails a single op on the single path with the same errno' {
            $r = Add-VmOp Munmap 0x10000001000 0x1000 -Stub $stub | Invoke-VmFlush
            $r.Status | Should -Be 'Succeeded'
            $r = Add-VmOp Mprotect 0x30000000 0x1000 r-- -Stub $stub | Invoke-VmFlush -ErrorVariable err -ErrorAction SilentlyContinue
            $r.Path | Should -Be 'Single'
            $r.Status | Should -Be 'Failed'
            $r.Result | Should -Be -12
            $r.Errno | Should -BeExactly 'ENOMEM'
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'StubSyscallFailed,UmlTlb.Commands.InvokeVmFlushCommand'
        }
    }

    Context '-Summary' {
        It 'writes one VmFlushSummary with the totals instead of results' {
            Add-VmOp Mmap 0x10000000 0x1000 rw- 0x0000 -Stub $stub | Out-Null
            Add-VmOp Mmap 0x10001000 0x1000 rw- 0x1000 -Stub $stub | Out-Null
            Add-VmOp Mmap 0x10008000 0x1000 rw- 0x0000 -Stub $stub | Out-Null
            Add-VmOp Mprotect 0x10008000 0x1000 r-- -Stub $stub | Out-Null
            Add-VmOp Munmap 0x10000000 0x1000 -Stub $stub | Out-Null
            $s = @(Invoke-VmFlush -Stub $stub -Summary)
            $s | Should -HaveCount 1
            $s[0] | Should -BeOfType ([UmlTlb.VmFlushSummary])
            $s[0].Stub.Id | Should -Be $stub.Id
            $s[0].Operations | Should -Be 5
            $s[0].HostOperations | Should -Be 4
            $s[0].Batches | Should -Be 1
            $s[0].SingleCalls | Should -Be 0
            $s[0].RoundTrips | Should -Be 1
            $s[0].Failed | Should -Be 0
            $s[0].Skipped | Should -Be 0
            $s[0].Elapsed | Should -BeGreaterThan ([timespan]::Zero)
            $s[0].OperationsPerSecond | Should -BeGreaterThan 0
            (Get-MapAt $stub.ProcessId 0x10001000).Perms | Should -BeExactly 'rw-s'
            (Get-MapAt $stub.ProcessId 0x10008000).Perms | Should -BeExactly 'r--s'
        }

        It 'counts a streamed flush, failures and skipped ops' {
            $capacity = $stub.BatchCapacity
            $rows = @(New-SeparateMmap ($capacity + 10)) +
                @([pscustomobject]@{ Operation = 'Mprotect'; Address = '0x70000000'; Length = '0x1000'; Protection = 'r--' }) +
                @(New-SeparateMmap 4 -Base 0x60000000)
            $s = @($rows | Add-VmOp -Stub $stub | Invoke-VmFlush -Summary -ErrorVariable err -ErrorAction SilentlyContinue)
            $s | Should -HaveCount 1
            $s[0].Operations | Should -Be ($capacity + 15)
            $s[0].HostOperations | Should -Be ($capacity + 15)
            $s[0].Batches | Should -Be 2
            $s[0].RoundTrips | Should -Be 2
            $s[0].SingleCalls | Should -Be 0
            $s[0].Failed | Should -Be 1
            $s[0].Skipped | Should -Be 4
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'StubSyscallFailed,UmlTlb.Commands.InvokeVmFlushCommand'
        }

        It 'counts a single-op flush as one SingleCall' {
            $s = Add-VmOp Mmap 0x10000000 0x1000 rw- 0 -Stub $stub | Invoke-VmFlush -Summary
            $s.Operations | Should -Be 1
            $s.SingleCalls | Should -Be 1
            $s.Batches | Should -Be 0
            $s.RoundTrips | Should -Be 1
        }
    }

    Context 'batching seen from outside' {
        It 'costs the stub at most 3 voluntary context switches for 64 ops in one flush, and at least 60 for 64 single flushes' {
            $ops = @(New-SeparateMmap 64)
            Wait-StubAsleep $stub
            $a = Get-VoluntarySwitches $stub.ProcessId
            $ops | Add-VmOp -Stub $stub | Out-Null
            Invoke-VmFlush -Stub $stub | Out-Null
            Wait-StubAsleep $stub
            $b = Get-VoluntarySwitches $stub.ProcessId
            Reset-Stub $stub 0x20000000
            Wait-StubAsleep $stub
            $c = Get-VoluntarySwitches $stub.ProcessId
            foreach ($op in $ops) { $op | Add-VmOp -Stub $stub | Invoke-VmFlush | Out-Null; Wait-StubAsleep $stub }
            $d = Get-VoluntarySwitches $stub.ProcessId
            @(Get-UserMaps $stub) | Should -HaveCount 64
            ($b - $a) | Should -BeLessOrEqual 3
            ($d - $c) | Should -BeGreaterOrEqual 60
        }
    }
}
