# Test-StubMapping and Assert-StubMapping, for users' own Pester suites: true/false from
# /proc/<pid>/maps, and a thrown message that says what is mapped there instead.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = Import-UmlTlbModule
    $script:stub = Start-TestStub 'assertions'
    # 0x10000000-0x10002000 rw- from offset 0x4000, 0x10002000-0x10003000 r-- from 0x6000, nothing at 0x10003000.
    @(
        Add-VmOp Mmap 0x10000000 0x3000 rw- 0x4000 -Stub $stub
        Add-VmOp Mprotect 0x10002000 0x1000 r-- -Stub $stub
    ) | Invoke-VmFlush | Out-Null
}

AfterAll {
    Stop-TestStub
}

Describe 'Test-StubMapping' -Tag 'CI' {
    It 'is <Expected> for <Address>+<Length> <Protection> <Offset>' -TestCases @(
        @{ Address = 0x10000000; Length = 0x2000; Protection = 'rw-'; Offset = 0x4000; Expected = $true }
        @{ Address = 0x10001000; Length = 0x1000; Protection = 'rw-'; Offset = 0x5000; Expected = $true }
        @{ Address = 0x10000000; Length = 0x3000; Protection = $null; Offset = $null; Expected = $true }
        @{ Address = 0x10000000; Length = 0x3000; Protection = 'rw-'; Offset = $null; Expected = $false }
        @{ Address = 0x10000000; Length = 0x3000; Protection = $null; Offset = 0x4000; Expected = $true }
        @{ Address = 0x10000000; Length = 0x2000; Protection = 'rw-'; Offset = 0x5000; Expected = $false }
        @{ Address = 0x10002000; Length = 0x2000; Protection = $null; Offset = $null; Expected = $false }
        @{ Address = 0x20000000; Length = 0x1000; Protection = $null; Offset = $null; Expected = $false }
    ) {
        $arguments = @{ Stub = $stub; Address = $Address; Length = $Length }
        if ($Protection) { $arguments.Protection = $Protection }
        if ($null -ne $Offset) { $arguments.Offset = $Offset }
        $result = Test-StubMapping @arguments
        $result | Should -BeOfType ([bool])
        $result | Should -Be $Expected
        # The same range as /proc says, read by the test itself.
        $covered = @(Get-ProcMaps $stub.ProcessId | Where-Object { $_.End -gt $Address -and $_.Start -lt $Address + $Length })
        if ($Expected) { $covered.Count | Should -BeGreaterThan 0 }
    }

    It 'names the parameter of a bad value: <Name>' -TestCases @(
        @{ Name = 'Length'; Call = { Test-StubMapping -Stub $stub -Address 0x10000000 -Length 0 }; ErrorId = 'InvalidRange' }
        @{ Name = 'Protection'; Call = { Test-StubMapping -Stub $stub -Address 0x10000000 -Length 0x1000 -Protection 'rwz' }; ErrorId = 'UnknownProtection' }
    ) {
        $e = { & $Call } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly "$ErrorId,UmlTlb.Commands.TestStubMappingCommand"
        $e.Exception.Message | Should -Match "-$Name"
    }
}

Describe 'Assert-StubMapping' -Tag 'CI' {
    It 'writes nothing when the range is mapped as stated' {
        Assert-StubMapping -Stub $stub -Address 0x10000000 -Length 0x2000 -Protection rw- -Offset 0x4000 | Should -BeNullOrEmpty
    }

    It 'throws StubMappingMismatch with what is mapped there, holes included' {
        $e = { Assert-StubMapping -Stub $stub -Address 0x10001000 -Length 0x3000 -Protection rw- } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'StubMappingMismatch,UmlTlb.Commands.AssertStubMappingCommand'
        $e.CategoryInfo.Category | Should -Be 'InvalidResult'
        $message = $e.Exception.Message
        $message | Should -BeLike "Expected 0x10001000-0x10004000 mapped rw- in stub 'assertions'*"
        $message | Should -Match '0x10000000-0x10002000 rw-s offset 0x4000 /memfd:umltlb-physmem-'
        $message | Should -Match '0x10002000-0x10003000 r--s offset 0x6000'
        $message | Should -Match '0x10003000-0x10004000 not mapped'
    }
}
