# Names find stubs (-Stub, Get-StubProcess -Name), so they must stay unique and never
# go stale: a stopped stub object, a start that failed, a name that looks like an Id or
# like a broken wildcard pattern.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = Import-UmlTlbModule
}

AfterAll {
    Stop-TestStub -IncludeRegistered
}

Describe 'Stub names' -Tag 'CI' {
    It 'keeps the name of a newer stub when an old stopped stub object is stopped again' {
        $old = Start-TestStub 'reused'
        Stop-StubProcess $old
        $new = Start-TestStub 'reused'
        Stop-StubProcess $old
        $new.State | Should -Be 'Running'
        { Start-StubProcess -Name 'reused' } | Should -Throw -ErrorId 'StubNameInUse,UmlTlb.Commands.StartStubProcessCommand'
        @(Get-StubProcess -Name 'reused') | Should -HaveCount 1
        (Get-StubProcess -Name 'reused').ProcessId | Should -Be $new.ProcessId
    }

    It 'frees the name of a start that failed' {
        # ftruncate of the physical-memory memfd fails with EINVAL for a size beyond off_t.
        { Start-StubProcess -Name 'failed-start' -PhysicalMemorySize '0xfffffffffffff000' } |
            Should -Throw -ErrorId 'StubStartFailed,UmlTlb.Commands.StartStubProcessCommand'
        $stub = Start-TestStub 'failed-start'
        $stub.State | Should -Be 'Running'
        $stub.Name | Should -BeExactly 'failed-start'
    }

    It 'binds -Stub ''<Text>'' to the stub named so, not the stub with that Id' -TestCases @(
        @{ Text = '1' }
    ) {
        param($Text)
        # Make sure a stub with Id 1 exists or existed: the name must win either way.
        $named = Start-TestStub $Text
        $other = Start-TestStub 'not-named-by-number'
        Add-VmOp Mmap 0x10000000 0x1000 rw- -Stub $Text | Out-Null
        $named.PendingOperations | Should -Be 1
        $other.PendingOperations | Should -Be 0
        (Get-StubProcess | Where-Object Id -EQ ([int] $Text)) | Where-Object { $_ -ne $named } |
            ForEach-Object { $_.PendingOperations | Should -Be 0 }
        Invoke-VmFlush -Stub $Text | Select-Object -ExpandProperty Stub | Should -Be $named
        (Get-MapAt $named.ProcessId 0x10000000).Perms | Should -BeExactly 'rw-s'
    }

    It 'binds -Stub by Id when given a number, even if a stub is named like it' {
        $byNumber = Get-StubProcess | Select-Object -First 1
        $twin = Start-TestStub "$($byNumber.Id)x"
        Add-VmOp Munmap 0x10000000 0x1000 -Stub $byNumber.Id | Out-Null
        $byNumber.PendingOperations | Should -BeGreaterOrEqual 1
        Clear-VmOp -Stub $byNumber
        $twin.PendingOperations | Should -Be 0
    }

    It 'finds a stub named ''a[b'' literally with Get-StubProcess -Name and Stop-StubProcess -Name' {
        $odd = Start-TestStub 'a[b'
        { Get-StubProcess -Name 'a[b' } | Should -Not -Throw
        (Get-StubProcess -Name 'a[b').ProcessId | Should -Be $odd.ProcessId
        Get-StubProcess -Name 'x[y' -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'StubProcessNotFound,UmlTlb.Commands.GetStubProcessCommand'
        Stop-StubProcess -Name 'a[b'
        $odd.State | Should -Be 'Exited'
        "/proc/$($odd.ProcessId)" | Should -Not -Exist
    }

    It 'still takes wildcards in -Name' {
        $a = Start-TestStub 'wild-1'
        $b = Start-TestStub 'wild-2'
        @(Get-StubProcess -Name 'wild-[12]').ProcessId | Should -Be @($a.ProcessId, $b.ProcessId)
    }
}

Describe 'Stop-StubProcess with pending ops' -Tag 'CI' {
    It 'warns with the count, discards them, and counts them as discarded' {
        $stub = Start-TestStub 'pending-at-stop'
        Add-VmOp Mmap 0x10000000 0x1000 rw- -Stub $stub | Out-Null
        Add-VmOp Mmap 0x10001000 0x1000 rw- 0x1000 -Stub $stub | Out-Null
        Add-VmOp Munmap 0x20000000 0x1000 -Stub $stub | Out-Null
        $stub.PendingOperations | Should -Be 2
        Stop-StubProcess $stub -WarningVariable warn -WarningAction SilentlyContinue
        $warn | Should -HaveCount 1
        "$($warn[0])" | Should -BeLike "*'pending-at-stop'*3 pending op*"
        @(Get-VmOp -Stub $stub) | Should -HaveCount 0
        $stub.PendingOperations | Should -Be 0
        (Get-StubStatistics -Stub $stub).DiscardedOperations | Should -Be 3
        Stop-StubProcess $stub -WarningVariable again -WarningAction SilentlyContinue
        $again | Should -HaveCount 0
    }

    It 'stops a stub with an empty queue without a warning' {
        $stub = Start-TestStub 'empty-at-stop'
        Stop-StubProcess $stub -WarningVariable warn -WarningAction SilentlyContinue
        $warn | Should -HaveCount 0
    }
}
