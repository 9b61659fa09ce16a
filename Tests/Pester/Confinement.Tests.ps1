# What a stub may do, and what another process of the same user can do to it,
# seen from PowerShell: /proc, the truncate command, and the stub's own fate.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = Import-UmlTlbModule

    # The engine's internal test hook: raw tuples through the batch stub, as a data
    # area written by someone else than the engine would hold them.
    function Invoke-RawTuple($Stub, [long] $Nr, [uint64[]] $Arguments) {
        $method = [UmlTlb.StubProcess].GetMethod('RunBatchSyscalls', [Reflection.BindingFlags]'NonPublic, Instance')
        $tuples = [ValueTuple[long, uint64[]][]]@([ValueTuple[long, uint64[]]]::new($Nr, $Arguments))
        $method.Invoke($Stub, @($false, $tuples))
    }
}

AfterAll {
    Stop-TestStub -IncludeRegistered
}

Describe 'A confined stub' -Tag 'CI' {
    It 'runs under a seccomp filter with no new privileges (<Architecture>)' -TestCases @(
        @{ Architecture = 'x86_64' }
        @{ Architecture = 'i386' }
    ) {
        param($Architecture)
        if ($reason = Get-ArchitectureSkipReason $Architecture) { Set-ItResult -Skipped -Because $reason; return }
        $stub = Start-StubProcess -Name "confined-$Architecture" -Architecture $Architecture
        Register-TestStub $stub
        Get-ProcStatusValue $stub.ProcessId 'Seccomp' | Should -BeExactly '2'
        [int] (Get-ProcStatusValue $stub.ProcessId 'Seccomp_filters') | Should -BeGreaterOrEqual 1
        Get-ProcStatusValue $stub.ProcessId 'NoNewPrivs' | Should -BeExactly '1'
        Get-ProcStatusValue $stub.ProcessId 'Name' | Should -BeExactly 'umltlb-stub'
    }

    It 'runs from a sealed memfd and pgrep finds it by name' {
        $stub = Start-TestStub 'memfd'
        (Get-Item "/proc/$($stub.ProcessId)/exe").LinkTarget | Should -BeExactly '/memfd:umltlb-stub-x86_64 (deleted)'
        $pgrep = (Get-Command pgrep -CommandType Application | Select-Object -First 1).Source
        $found = @(& $pgrep -x -P $PID umltlb-stub)
        $LASTEXITCODE | Should -Be 0
        $found | Should -Contain "$($stub.ProcessId)"
    }

    It 'dies of SIGSYS when its data area asks for getpid, and PowerShell goes on' {
        $stub = Start-TestStub 'sigsys'
        $stubPid = $stub.ProcessId
        Add-VmOp Mmap 0x10000000 0x1000 r-- 0 -Stub $stub | Invoke-VmFlush | ForEach-Object Status | Should -BeExactly 'Succeeded'

        { Invoke-RawTuple $stub 39 @() } | Should -Throw -ExpectedMessage '*SIGSYS*'

        $stub.State | Should -BeExactly 'Faulted'
        $stub.Termination.SignalName | Should -BeExactly 'SIGSYS'
        Test-Path "/proc/$stubPid" | Should -BeFalse
        $null = Invoke-VmFlush -Stub $stub -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'StubNotRunning,UmlTlb.Commands.InvokeVmFlushCommand'
        $err[0].Exception.Message | Should -Match 'SIGSYS'
        $next = Start-TestStub 'after-sigsys'
        Add-VmOp Mmap 0x10000000 0x1000 r-- 0 -Stub $next | Invoke-VmFlush | ForEach-Object Status | Should -BeExactly 'Succeeded'
        (Get-MapAt $next.ProcessId 0x10000000).Perms | Should -BeExactly 'r--s'
    }
}

Describe 'The files of a stub, seen by another process' -Tag 'CI' {
    BeforeAll {
        $script:truncate = (Get-Command truncate -CommandType Application | Select-Object -First 1).Source
    }

    It 'cannot be truncated through its fd <Fd> in /proc, and flushes go on' -TestCases @(
        @{ Fd = 3 }
        @{ Fd = 4 }
    ) {
        param($Fd)
        $stub = Start-TestStub "truncated-$Fd"
        $path = "/proc/$($stub.ProcessId)/fd/$Fd"
        $size = (Get-Item $path).Length

        $message = & $truncate -s 0 $path 2>&1
        $LASTEXITCODE | Should -Not -Be 0
        "$message" | Should -Match 'Operation not permitted'

        (Get-Item $path).Length | Should -Be $size
        Write-PhysicalMemory -Stub $stub -Offset 0x3000 -Value ([byte[]](0xca, 0xfe))
        Add-VmOp Mmap 0x10000000 0x1000 r-- 0x3000 -Stub $stub | Invoke-VmFlush | ForEach-Object Status | Should -BeExactly 'Succeeded'
        $bytes = Read-StubMemory -Stub $stub -Address 0x10000000 -Length 2
        $bytes | Should -Be @(0xca, 0xfe)
    }
}
