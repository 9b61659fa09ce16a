# One stub, many runspaces: ForEach-Object -Parallel and Start-ThreadJob use the same
# live stub (by object or by Id), and what they do shows in the stub's /proc/<pid>/maps.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = Import-UmlTlbModule
}

AfterAll {
    Stop-TestStub
}

Describe 'A stub used from other runspaces, over <Transport>' -Tag 'CI' -ForEach @(@{ Transport = 'Ptrace' }, @{ Transport = 'Doorbell' }) {
    BeforeAll {
        $script:stub = Start-TestStub 'shared' $Transport
    }

    BeforeEach {
        Reset-Stub $stub
    }

    It 'queues and flushes from ForEach-Object -Parallel given the stub object' {
        $mp = $ModulePath
        $s = $stub
        $results = 0..3 | ForEach-Object -ThrottleLimit 4 -Parallel {
            Import-Module $using:mp
            Add-VmOp Mmap (0x10000000 + $_ * 0x10000) 0x1000 rw- 0 -Stub $using:s -NoCoalesce | Invoke-VmFlush
        }
        @($results) | Should -HaveCount 4
        @($results | Where-Object Status -EQ 'Succeeded') | Should -HaveCount 4
        foreach ($i in 0..3) {
            (Get-MapAt $stub.ProcessId (0x10000000 + $i * 0x10000)).Perms | Should -BeExactly 'rw-s'
        }
        @(Get-VmOp -Stub $stub) | Should -HaveCount 0
    }

    It 'queues and flushes from ForEach-Object -Parallel given the stub Id' {
        $mp = $ModulePath
        $id = $stub.Id
        $results = 0..1 | ForEach-Object -Parallel {
            Import-Module $using:mp
            Add-VmOp Mmap (0x20000000 + $_ * 0x10000) 0x1000 r-- 0 -Stub $using:id | Out-Null
            Invoke-VmFlush -Stub $using:id
        }
        @($results | Where-Object Status -EQ 'Succeeded').Count | Should -BeGreaterOrEqual 1
        (Get-MapAt $stub.ProcessId 0x20000000).Perms | Should -BeExactly 'r--s'
        (Get-MapAt $stub.ProcessId 0x20010000).Perms | Should -BeExactly 'r--s'
    }

    It 'sees the same live object in a parallel runspace' {
        $mp = $ModulePath
        $id = $stub.Id
        $seen = 1 | ForEach-Object -Parallel {
            Import-Module $using:mp
            $s = Get-StubProcess -Id $using:id
            [pscustomobject]@{ ProcessId = $s.ProcessId; State = "$($s.State)"; Same = [object]::ReferenceEquals($s, $using:stub) }
        }
        $seen.ProcessId | Should -Be $stub.ProcessId
        $seen.State | Should -Be 'Running'
        $seen.Same | Should -BeTrue
    }

    It 'queues and flushes from Start-ThreadJob' {
        $mp = $ModulePath
        $id = $stub.Id
        $job = Start-ThreadJob {
            Import-Module $using:mp
            Add-VmOp Mmap 0x28000000 0x2000 r-x 0x1000 -Stub $using:id | Invoke-VmFlush
        }
        try {
            $r = $job | Wait-Job -Timeout 60 | Receive-Job
            $job.State | Should -Be 'Completed'
            $r.Status | Should -Be 'Succeeded'
            $r.Stub.Id | Should -Be $stub.Id
            $map = Get-MapAt $stub.ProcessId 0x28001000
            $map.Perms | Should -BeExactly 'r-xs'
            $map.Start | Should -Be 0x28000000
        }
        finally {
            $job | Remove-Job -Force
        }
    }

    It 'stops a stub started in a thread job once the job and its runspace are gone' {
        $mp = $ModulePath
        $job = Start-ThreadJob { Import-Module $using:mp; $s = Start-StubProcess -Name 'from-job'; $s.Id; $s.ProcessId }
        $id, $stubPid = $job | Wait-Job -Timeout 60 | Receive-Job
        $job | Remove-Job -Force
        $id | Should -BeGreaterThan 0
        Wait-ProcessGone $stubPid | Out-Null
        "/proc/$stubPid" | Should -Not -Exist
        # The job's runspace is closed on another thread, which reaps the stub and then forgets
        # it: the reap can be seen a moment before the registry entry goes. Bounded wait.
        $deadline = [DateTime]::UtcNow.AddSeconds(5)
        while ((Get-StubProcess -Id $id -ErrorAction SilentlyContinue) -and [DateTime]::UtcNow -lt $deadline) {
            Start-Sleep -Milliseconds 20
        }
        Get-StubProcess -Id $id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'shows a kill from outside as Faulted in every runspace, and no zombie' {
        $victim = Start-StubProcess -Name "shared-victim-$Transport" -Transport $Transport
        Register-TestStub $victim
        $victimPid = $victim.ProcessId
        $mp = $ModulePath
        Send-SigKill $victimPid
        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        while ($victim.State -eq 'Running' -and $sw.ElapsedMilliseconds -lt 3000) { Start-Sleep -Milliseconds 5 }
        $sw.ElapsedMilliseconds | Should -BeLessThan 1000
        $id = $victim.Id
        $seen = 1 | ForEach-Object -Parallel {
            Import-Module $using:mp
            $s = Get-StubProcess -Id $using:id
            $e = $null
            Add-VmOp Mmap 0x10000000 0x1000 rw- 0 -Stub $s -ErrorVariable e -ErrorAction SilentlyContinue | Out-Null
            [pscustomobject]@{ State = "$($s.State)"; ErrorId = "$($e[0].FullyQualifiedErrorId)"; Message = "$($e[0].Exception.Message)" }
        }
        $seen.State | Should -Be 'Faulted'
        $seen.ErrorId | Should -BeExactly 'StubNotRunning,UmlTlb.Commands.AddVmOpCommand'
        $seen.Message | Should -Match 'SIGKILL'
        "/proc/$victimPid" | Should -Not -Exist
        Stop-StubProcess $victim
    }
}
