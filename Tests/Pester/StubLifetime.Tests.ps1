# A stub never outlives its owner and never hangs: killed from outside, owner killed,
# runspace closed, module removed, many started and stopped.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = Import-UmlTlbModule

    # Pids of the live processes whose parent is this PowerShell process.
    function Get-ChildProcessId {
        foreach ($dir in Get-ChildItem /proc -Directory) {
            if ($dir.Name -notmatch '^\d+$') { continue }
            $stat = Get-Content "$($dir.FullName)/stat" -Raw -ErrorAction Ignore
            if (-not $stat) { continue }
            $fields = $stat.Substring($stat.LastIndexOf(')') + 2) -split ' '
            if ($fields[1] -eq "$PID") { [int]$dir.Name }
        }
    }

    function Get-ThreadId { (Get-ChildItem /proc/self/task).Name | ForEach-Object { [int]$_ } }
}

AfterAll {
    Stop-TestStub -IncludeRegistered
}

Describe 'A stub killed from outside, over <Transport>' -Tag 'CI' -ForEach @(@{ Transport = 'Ptrace' }, @{ Transport = 'Doorbell' }) {
    BeforeEach {
        $script:victim = Start-TestStub 'victim' $Transport
        $script:victimPid = $script:victim.ProcessId
        Send-SigKill $script:victimPid
    }

    AfterEach {
        Stop-StubProcess $script:victim -ErrorAction Ignore
    }

    It 'becomes Faulted within one second without any cmdlet call' {
        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        while ($victim.State -eq 'Running' -and $sw.ElapsedMilliseconds -lt 3000) { Start-Sleep -Milliseconds 5 }
        $victim.State | Should -Be 'Faulted'
        $sw.ElapsedMilliseconds | Should -BeLessThan 1000
        $victim.Termination.SignalName | Should -BeExactly 'SIGKILL'
    }

    It 'is reaped: no zombie is left in /proc' {
        Wait-Condition { -not (Test-Path "/proc/$victimPid") } 2000 | Should -BeTrue
    }

    It 'makes the next Add-VmOp write StubNotRunning naming SIGKILL' {
        Wait-Condition { $victim.State -ne 'Running' } 2000 | Should -BeTrue
        $r = Add-VmOp Mmap 0x10000000 0x1000 rw- 0 -Stub $victim -ErrorVariable err -ErrorAction SilentlyContinue
        $r | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'StubNotRunning,UmlTlb.Commands.AddVmOpCommand'
        $err[0].Exception.Message | Should -Match 'SIGKILL'
    }

    It 'makes the next Invoke-VmFlush write StubNotRunning naming SIGKILL' {
        Wait-Condition { $victim.State -ne 'Running' } 2000 | Should -BeTrue
        $r = Invoke-VmFlush -Stub $victim -ErrorVariable err -ErrorAction SilentlyContinue
        $r | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'StubNotRunning,UmlTlb.Commands.InvokeVmFlushCommand'
        $err[0].Exception.Message | Should -Match 'SIGKILL'
    }

    It 'fails a flush of ops queued before the kill with StubNotRunning, without hanging' {
        $s = Start-StubProcess -Name "queued-victim-$Transport" -Transport $Transport
        Register-TestStub $s
        Add-VmOp Mmap 0x10000000 0x1000 rw- 0 -Stub $s | Out-Null
        Add-VmOp Mmap 0x10004000 0x1000 rw- 0 -Stub $s | Out-Null
        Send-SigKill $s.ProcessId
        Wait-Condition { $s.State -ne 'Running' } 2000 | Should -BeTrue
        $r = Invoke-VmFlush -Stub $s -ErrorVariable err -ErrorAction SilentlyContinue
        $r | Where-Object Status -EQ 'Succeeded' | Should -BeNullOrEmpty
        $err | Should -Not -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'StubNotRunning,UmlTlb.Commands.InvokeVmFlushCommand'
        Stop-StubProcess $s
    }

    It 'is no longer the default stub' {
        Wait-Condition { $victim.State -ne 'Running' } 2000 | Should -BeTrue
        $other = Start-StubProcess -Name "survivor-$Transport" -Transport $Transport
        Register-TestStub $other
        try {
            Send-SigKill $other.ProcessId
            Wait-Condition { $other.State -ne 'Running' } 2000 | Should -BeTrue
            $running = @(Get-StubProcess | Where-Object State -EQ 'Running')
            if ($running.Count -eq 0) {
                ({ Add-VmOp Mmap 0x10000000 0x1000 rw- 0 -ErrorAction Stop } | Should -Throw -PassThru).FullyQualifiedErrorId | Should -BeExactly 'NoStubProcess,UmlTlb.Commands.AddVmOpCommand'
            }
            else {
                (Add-VmOp Mmap 0x10000000 0x1000 rw- 0 -NoCoalesce).Stub.Id | Should -BeIn $running.Id
                Clear-VmOp -Stub ($running | Select-Object -Last 1)
            }
        }
        finally {
            Stop-StubProcess $other
        }
    }
}

Describe 'A stub and the terminal' -Tag 'CI' {
    It 'runs in a process group of its own, so that Ctrl-C at the terminal does not reach it' {
        $stub = Start-TestStub 'pgroup'
        # /proc/<pid>/stat: pid (comm) state ppid pgrp ...
        $stubGroup = ((Get-Content "/proc/$($stub.ProcessId)/stat") -replace '^.*\) ', '' -split ' ')[2]
        $ourGroup = ((Get-Content "/proc/$PID/stat") -replace '^.*\) ', '' -split ' ')[2]
        $stubGroup | Should -Be $stub.ProcessId
        $stubGroup | Should -Not -Be $ourGroup
    }
}

Describe 'A PowerShell process killed with SIGKILL' -Tag 'CI' {
    It 'leaves none of its stubs behind' {
        $argv = @((Get-Content "/proc/$PID/cmdline" -Raw) -split "`0" | Where-Object { $_ })
        $psi = [System.Diagnostics.ProcessStartInfo]::new($argv[0])
        if ($argv.Count -gt 1 -and $argv[1] -like '*.dll') { $psi.ArgumentList.Add($argv[1]) }
        $pidFile = Join-Path ([IO.Path]::GetTempPath()) "umltlb-pester-$([guid]::NewGuid()).txt"
        $command = "Import-Module '$ModulePath'; `$a = Start-StubProcess; `$b = Start-StubProcess; " +
            "Set-Content -LiteralPath '$pidFile' -Value (`"{0} {1}`" -f `$a.ProcessId, `$b.ProcessId); Start-Sleep -Seconds 60"
        foreach ($arg in '-NoProfile', '-NonInteractive', '-EncodedCommand', [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($command))) {
            $psi.ArgumentList.Add($arg)
        }
        $child = [System.Diagnostics.Process]::Start($psi)
        try {
            Wait-Condition { (Test-Path $pidFile) -and (Get-Content $pidFile -Raw) } 30000 | Should -BeTrue
            $stubPids = @((Get-Content $pidFile -Raw).Trim() -split ' ' | ForEach-Object { [int]$_ })
            $stubPids | Should -HaveCount 2
            foreach ($p in $stubPids) { "/proc/$p" | Should -Exist }

            Send-SigKill $child.Id
            Wait-Condition { -not ($stubPids | Where-Object { Test-Path "/proc/$_" }) } 5000 | Should -BeTrue
        }
        finally {
            if (-not $child.HasExited) { $child.Kill() }
            $child.WaitForExit()
            $child.Dispose()
            Remove-Item $pidFile -ErrorAction Ignore
        }
    }
}

Describe 'Closing a runspace' -Tag 'CI' {
    It 'stops the stubs that runspace started when it is disposed' {
        $ps = [powershell]::Create()
        $ps.Runspace = [runspacefactory]::CreateRunspace()
        $ps.Runspace.Open()
        $stubPid = $ps.AddScript("Import-Module '$ModulePath'; (Start-StubProcess -Name 'in-runspace').ProcessId").Invoke()[0]
        $ps.HadErrors | Should -BeFalse
        "/proc/$stubPid" | Should -Exist
        $ps.Runspace.Dispose()
        $ps.Dispose()
        Wait-Condition { -not (Test-Path "/proc/$stubPid") } 5000 | Should -BeTrue
        Get-StubProcess | Where-Object ProcessId -EQ $stubPid | Should -BeNullOrEmpty
    }

    It 'does not stop stubs that another runspace started' {
        $mine = Start-StubProcess -Name 'main-runspace'
        Register-TestStub $mine
        $ps = [powershell]::Create()
        $ps.Runspace = [runspacefactory]::CreateRunspace()
        $ps.Runspace.Open()
        $null = $ps.AddScript("Import-Module '$ModulePath'; Get-StubProcess -Id $($mine.Id) | Out-Null").Invoke()
        $ps.Runspace.Dispose()
        $ps.Dispose()
        $mine.State | Should -Be 'Running'
        "/proc/$($mine.ProcessId)" | Should -Exist
        Stop-StubProcess $mine
    }

    It 'stops the stubs of a runspace whose module is removed with Remove-Module' {
        $ps = [powershell]::Create()
        $ps.Runspace = [runspacefactory]::CreateRunspace()
        $ps.Runspace.Open()
        try {
            $stubPid = $ps.AddScript("Import-Module '$ModulePath'; (Start-StubProcess -Name 'removed').ProcessId").Invoke()[0]
            "/proc/$stubPid" | Should -Exist
            $ps.Commands.Clear()
            $null = $ps.AddScript('Remove-Module UmlTlb').Invoke()
            Wait-Condition { -not (Test-Path "/proc/$stubPid") } 5000 | Should -BeTrue
        }
        finally {
            $ps.Runspace.Dispose()
            $ps.Dispose()
        }
    }
}

Describe 'Fifty stubs started and stopped' -Tag 'CI' {
    It 'leave no child process and no tracer thread behind' {
        $childrenBefore = @(Get-ChildProcessId)
        $threadsBefore = @(Get-ThreadId)
        $many = 1..50 | ForEach-Object { Start-StubProcess -Name "fifty$_" }
        $many | Register-TestStub
        $tracers = $many.TracerThreadId
        $stubPids = $many.ProcessId

        $during = @(Get-ChildProcessId)
        foreach ($p in $stubPids) { $during | Should -Contain $p }
        $threadsDuring = @(Get-ThreadId)
        foreach ($t in $tracers) { $threadsDuring | Should -Contain $t }

        $many | Stop-StubProcess
        Wait-Condition { -not (Compare-Object @(Get-ChildProcessId) $childrenBefore) } 5000 | Should -BeTrue
        Wait-Condition { -not (@(Get-ThreadId) | Where-Object { $_ -in $tracers }) } 5000 | Should -BeTrue
        foreach ($p in $stubPids) { "/proc/$p" | Should -Not -Exist }
        @(Get-ThreadId).Count | Should -BeLessOrEqual ($threadsBefore.Count + 4)
    }
}
