# Every caller gets exactly its own results: runspaces share stubs (and a stub has one
# queue), but each Invoke-VmFlush writes the results of the ops its own pipeline queued,
# wherever they ran. Checked against the results' fields and the stubs' /proc/<pid>/maps.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = Import-UmlTlbModule

    # Runspace $Index pipes $Count mmaps of its own: page $i of its own 16 MiB window, offset $i pages,
    # never contiguous (one page apart), so no two ops merge.
    $script:Worker = {
        param($ModulePath, $Index, $Count, $StubId)
        Import-Module $ModulePath
        $base = 0x10000000 + $Index * 0x1000000
        $results = @(0..($Count - 1) | ForEach-Object {
                [pscustomobject]@{ Operation = 'Mmap'; Address = $base + $_ * 0x2000; Length = 0x1000; Protection = 'rw-'; Offset = ($_ % 64) * 0x1000 }
            } | Add-VmOp -Stub $StubId | Invoke-VmFlush)
        [pscustomobject]@{
            Index     = $Index
            Count     = $results.Count
            Addresses = @($results | ForEach-Object { [uint64] $_.Address })
            Succeeded = @($results | Where-Object Status -EQ 'Succeeded').Count
            Stubs     = @($results | ForEach-Object { $_.Stub.Id } | Sort-Object -Unique)
        }
    }

    function Assert-OwnResults($Outcome, [int] $Count, $Stub) {
        $base = 0x10000000 + $Outcome.Index * 0x1000000
        $expected = @(0..($Count - 1) | ForEach-Object { [uint64] ($base + $_ * 0x2000) })
        $Outcome.Count | Should -Be $Count -Because "runspace $($Outcome.Index) must get exactly its $Count results"
        $Outcome.Addresses | Should -Be $expected -Because "runspace $($Outcome.Index) must get its own ops' results, in order"
        $Outcome.Succeeded | Should -Be $Count
        $Outcome.Stubs | Should -Be @($Stub.Id)
        $maps = @(Get-UserMaps $Stub | Where-Object { $_.Start -ge $base -and $_.Start -lt $base + 0x1000000 })
        @($maps | ForEach-Object Start) | Should -Be $expected -Because "/proc/$($Stub.ProcessId)/maps shows each page of runspace $($Outcome.Index)"
        foreach ($m in $maps) {
            $m.End - $m.Start | Should -Be 0x1000
            $m.Perms | Should -BeExactly 'rw-s'
            $m.Offset | Should -Be ((($m.Start - $base) / 0x2000 % 64) * 0x1000)
        }
    }
}

AfterAll {
    Stop-TestStub
}

Describe 'Each pipeline gets its own results' -Tag 'CI' {
    It '<Runspaces> runspaces streaming into one stub each get exactly their own results' -TestCases @(
        @{ Runspaces = 4 }, @{ Runspaces = 8 }
    ) {
        param($Runspaces)
        $stub = Start-TestStub "own-one-$Runspaces"
        $mp = $ModulePath
        $worker = $Worker.ToString()
        $id = $stub.Id
        # 150 ops each: more than a data area (71 host ops), so flushes interleave while streaming.
        $outcomes = @(0..($Runspaces - 1) | ForEach-Object -ThrottleLimit $Runspaces -Parallel {
                & ([scriptblock]::Create($using:worker)) $using:mp $_ 150 $using:id
            })
        $outcomes | Should -HaveCount $Runspaces
        foreach ($o in $outcomes) {
            Assert-OwnResults $o 150 $stub
        }
        $stub.PendingOperations | Should -Be 0
    }

    It '<Runspaces> runspaces on stubs of their own and shared ones get exactly their own results' -TestCases @(
        @{ Runspaces = 4 }, @{ Runspaces = 8 }
    ) {
        param($Runspaces)
        # Runspace i uses stub i % 2 ... no: stubs 0..n/2-1, two runspaces per stub, each its own window.
        $stubs = @(0..($Runspaces / 2 - 1) | ForEach-Object { Start-TestStub "own-many-$Runspaces-$_" })
        $ids = @($stubs | ForEach-Object Id)
        $mp = $ModulePath
        $worker = $Worker.ToString()
        $outcomes = @(0..($Runspaces - 1) | ForEach-Object -ThrottleLimit $Runspaces -Parallel {
                & ([scriptblock]::Create($using:worker)) $using:mp $_ 100 ($using:ids)[$_ % ($using:ids).Count]
            })
        $outcomes | Should -HaveCount $Runspaces
        foreach ($o in $outcomes) {
            Assert-OwnResults $o 100 $stubs[$o.Index % $stubs.Count]
        }
    }

    It 'keeps the results of ops queued alone for a flush of the runspace that queued them' {
        $stub = Start-TestStub 'own-loose'
        $mp = $ModulePath
        $id = $stub.Id
        Add-VmOp Mmap 0x10000000 0x1000 rw- -Stub $stub | Out-Null
        # Another runspace flushes the stub: its flush runs our op but shows nothing of it.
        $theirs = @(1 | ForEach-Object -Parallel {
                Import-Module $using:mp
                Add-VmOp Mmap 0x20000000 0x1000 r-- -Stub $using:id | Out-Null
                Invoke-VmFlush -Stub $using:id
            })
        $theirs | Should -HaveCount 1
        $theirs[0].Address | Should -Be 0x20000000
        (Get-MapAt $stub.ProcessId 0x10000000).Perms | Should -BeExactly 'rw-s'
        # Our flush reports our op, though it ran elsewhere, and only ours.
        $mine = @(Invoke-VmFlush -Stub $stub)
        $mine | Should -HaveCount 1
        $mine[0].Address | Should -Be 0x10000000
        $mine[0].Status | Should -Be 'Succeeded'
        @(Invoke-VmFlush -Stub $stub) | Should -HaveCount 0
    }

    It 'never merges ops of two pipelines into one host op, and writes each result to its own pipeline' {
        $stub = Start-TestStub 'own-merge'
        # Queued alone: it belongs to this runspace's Invoke-VmFlush without input.
        $a = Add-VmOp Mmap 0x10000000 0x1000 r-- 0 -Stub $stub
        # Contiguous, same protection, contiguous offset: merged if it were the same owner.
        $mine = @(Add-VmOp Mmap 0x10001000 0x1000 r-- 0x1000 -Stub $stub | Invoke-VmFlush)
        $mine | Should -HaveCount 1
        $mine[0].Address | Should -Be 0x10001000
        $mine[0].MergedCount | Should -Be 1
        $mine[0].Sequence | Should -Be ($a.HostOp + 1)
        $loose = @(Invoke-VmFlush -Stub $stub)
        $loose | Should -HaveCount 1
        $loose[0].Address | Should -Be 0x10000000
        $loose[0].Sequence | Should -Be $a.HostOp
        (Get-MapAt $stub.ProcessId 0x10001000).Perms | Should -BeExactly 'r--s'
    }

    It 'merges ops queued alone one after another, as the 2005 queue did' {
        $stub = Start-TestStub 'own-merge-alone'
        $a = Add-VmOp Mmap 0x10000000 0x1000 r-- 0 -Stub $stub
        $b = Add-VmOp Mmap 0x10001000 0x1000 r-- 0x1000 -Stub $stub
        $b.Coalesced | Should -BeTrue
        $b.HostOp | Should -Be $a.HostOp
        @(Invoke-VmFlush -Stub $stub).MergedCount | Should -Be @(2)
    }
}

Describe 'A pipeline that ends early' -Tag 'CI' {
    It 'leaves nothing queued after a terminating error with ErrorAction Stop, and the next flush runs only its own op' {
        $stub = Start-TestStub 'early-stop'
        # 80 mprotects where nothing is mapped: each fails with ENOMEM.
        $failing = 0..79 | ForEach-Object { [pscustomobject]@{ Operation = 'Mprotect'; Address = 0x30000000 + $_ * 0x2000; Length = 0x1000; Protection = 'r--' } }
        $seen = [System.Collections.Generic.List[object]]::new()
        {
            $ErrorActionPreference = 'Stop'
            $failing | Add-VmOp -Stub $stub | Invoke-VmFlush -ContinueOnError -WarningVariable +warned -WarningAction SilentlyContinue | ForEach-Object { $seen.Add($_) }
        } | Should -Throw -ErrorId 'StubSyscallFailed,UmlTlb.Commands.InvokeVmFlushCommand'
        $seen | Should -HaveCount 1
        $stub.PendingOperations | Should -Be 0
        @(Get-VmOp -Stub $stub) | Should -HaveCount 0
        $stats = Get-StubStatistics -Stub $stub
        # What was queued either ran or was discarded and counted (Add-VmOp stopped queueing at the error).
        $stats.DiscardedOperations | Should -BeGreaterOrEqual 1
        $stats.BatchedOperations + $stats.SingleCalls + $stats.DiscardedOperations | Should -BeLessOrEqual 80
        $results = @(Add-VmOp Mmap 0x10000000 0x1000 rw- -Stub $stub | Invoke-VmFlush)
        $results | Should -HaveCount 1
        $results[0].Address | Should -Be 0x10000000
        $results[0].Status | Should -Be 'Succeeded'
        (Get-MapAt $stub.ProcessId 0x10000000).Perms | Should -BeExactly 'rw-s'
    }

    It 'leaves nothing queued after Select-Object -First 3, and says how many ops it dropped' {
        $stub = Start-TestStub 'early-first'
        $ops = 0..199 | ForEach-Object { [pscustomobject]@{ Operation = 'Mmap'; Address = 0x10000000 + $_ * 0x2000; Length = 0x1000; Protection = 'r--'; Offset = 0 } }
        $first = @($ops | Add-VmOp -Stub $stub | Invoke-VmFlush -Verbose 4>&1 | Select-Object -First 3)
        $first | Should -HaveCount 3
        $stub.PendingOperations | Should -Be 0
        $stats = Get-StubStatistics -Stub $stub
        $ran = $stats.BatchedOperations + $stats.SingleCalls
        $ran + $stats.DiscardedOperations | Should -BeLessOrEqual 200
        # What ran is what /proc shows, page for page; nothing else runs later.
        @(Get-UserMaps $stub) | Should -HaveCount $ran
        @(Invoke-VmFlush -Stub $stub) | Should -HaveCount 0
        $later = @(Add-VmOp Munmap 0x10000000 0x1000 -Stub $stub | Invoke-VmFlush)
        $later | Should -HaveCount 1
        $later[0].Operation | Should -Be 'Munmap'
    }

    It 'discards the ops of a pipeline whose upstream command failed, with a warning giving the count' {
        $stub = Start-TestStub 'early-upstream'
        {
            & {
                [pscustomobject]@{ Operation = 'Mmap'; Address = 0x10000000; Length = 0x1000; Protection = 'r--' }
                [pscustomobject]@{ Operation = 'Mmap'; Address = 0x10002000; Length = 0x1000; Protection = 'r--' }
                throw 'upstream failed'
            } | Add-VmOp -Stub $stub | Invoke-VmFlush -WarningVariable warned -WarningAction SilentlyContinue
        } | Should -Throw '*upstream failed*'
        $stub.PendingOperations | Should -Be 0
        (Get-StubStatistics -Stub $stub).DiscardedOperations | Should -Be 2
        @(Get-UserMaps $stub) | Should -HaveCount 0
    }
}
