# Get-StubMapping, Write-/Read-PhysicalMemory and Read-StubMemory: the tools that show,
# from outside the engine's own report, what the stub's address space holds.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = Import-UmlTlbModule
}

AfterAll {
    Stop-TestStub
}

Describe 'Get-StubMapping over <Transport>' -Tag 'CI' -ForEach @(@{ Transport = 'Ptrace' }, @{ Transport = 'Doorbell' }) {
    BeforeAll {
        $script:stub = Start-TestStub 'mapping' $Transport
    }

    BeforeEach {
        Reset-Stub $stub
    }

    It 'returns nothing for a stub whose user range is empty' {
        @(Get-StubMapping -Stub $stub) | Should -HaveCount 0
        @(Get-UserMaps $stub) | Should -HaveCount 0
    }

    It 'returns one object per /proc/pid/maps line below UserAddressLimit, with its fields' {
        Add-VmOp Mmap 0x10000000 0x2000 rw- 0x3000 -Stub $stub | Out-Null
        Add-VmOp Mmap 0x20000000 0x1000 r-x 0x0000 -Stub $stub | Out-Null
        Invoke-VmFlush -Stub $stub | Out-Null
        $m = @(Get-StubMapping -Stub $stub)
        $proc = @(Get-UserMaps $stub)
        $m | Should -HaveCount $proc.Count
        $m | Should -HaveCount 2
        $m[0] | Should -BeOfType ([UmlTlb.MemoryMapping])
        $m[0].Start | Should -Be 0x10000000
        $m[0].End | Should -Be 0x10002000
        $m[0].Length | Should -Be 0x2000
        $m[0].Protection | Should -Be ([UmlTlb.VmProtection]'Read, Write')
        $m[0].Shared | Should -BeTrue
        $m[0].Offset | Should -Be 0x3000
        $m[0].Path | Should -BeLike '/memfd:umltlb-physmem*'
        $m[0].Permissions | Should -BeExactly $proc[0].Perms
        $m[1].Permissions | Should -BeExactly 'r-xs'
        $m[1].Start | Should -Be $proc[1].Start
    }

    It 'includes the stub code page at StubCodeAddress and the data area with -All' {
        $all = @(Get-StubMapping -Stub $stub -All)
        $code = $all | Where-Object Start -EQ $stub.StubCodeAddress
        $code | Should -Not -BeNullOrEmpty
        $code.Protection | Should -Be ([UmlTlb.VmProtection]'Read, Execute')
        $data = $all | Where-Object Start -EQ $stub.StubDataAddress
        $data.Shared | Should -BeTrue
        $data.Path | Should -BeLike '/memfd:umltlb-data*'
        $all.Count | Should -Be @(Get-ProcMaps $stub.ProcessId).Count
    }

    It 'takes the stub from the pipeline' {
        Add-VmOp Mmap 0x10000000 0x1000 r-- 0 -Stub $stub | Invoke-VmFlush | Out-Null
        $m = @($stub | Get-StubMapping)
        $m | Should -HaveCount 1
        $m[0].Permissions | Should -BeExactly 'r--s'
    }
}

Describe 'Write-PhysicalMemory, Read-PhysicalMemory and Read-StubMemory over <Transport>' -Tag 'CI' -ForEach @(@{ Transport = 'Ptrace' }, @{ Transport = 'Doorbell' }) {
    BeforeAll {
        $script:stub = Start-TestStub 'memory' $Transport
    }

    BeforeEach {
        Reset-Stub $stub
    }

    It 'reads back what it wrote into the physical-memory file' {
        $bytes = [byte[]](0..255)
        Write-PhysicalMemory -Stub $stub -Offset 0x7000 -Value $bytes
        $back = Read-PhysicalMemory -Stub $stub -Offset 0x7000 -Length 256
        $back.GetType() | Should -Be ([byte[]])
        $back.Length | Should -Be 256
        [Convert]::ToHexString($back) | Should -BeExactly ([Convert]::ToHexString($bytes))
    }

    It 'shows the bytes at offset X in the stub at address A once X is mapped at A' -TestCases @(
        @{ Offset = 0x0; Address = 0x10000000 }
        @{ Offset = 0x5000; Address = 0x23456000 }
        @{ Offset = 0x3fff000; Address = 0x10008000 }
    ) {
        $pattern = [byte[]](1..64 | ForEach-Object { ($_ * 7 + $Offset / 4096) % 256 })
        Write-PhysicalMemory -Stub $stub -Offset ($Offset + 0x100) -Value $pattern
        Add-VmOp Mmap $Address 0x1000 r-- $Offset -Stub $stub | Invoke-VmFlush | Out-Null
        $seen = Read-StubMemory -Stub $stub -Address ($Address + 0x100) -Length 64
        [Convert]::ToHexString($seen) | Should -BeExactly ([Convert]::ToHexString($pattern))
    }

    It 'sees a write made after the mapping (MAP_SHARED)' {
        Add-VmOp Mmap 0x10000000 0x1000 rw- 0x9000 -Stub $stub | Invoke-VmFlush | Out-Null
        Write-PhysicalMemory -Stub $stub -Offset 0x9010 -Value ([byte[]](0xde, 0xad, 0xbe, 0xef))
        [Convert]::ToHexString((Read-StubMemory -Stub $stub 0x10000010 4)) | Should -BeExactly 'DEADBEEF'
    }

    It 'takes the stub from the pipeline' {
        $stub | Write-PhysicalMemory -Offset 0xb000 -Value ([byte[]](0x11, 0x22))
        [BitConverter]::ToString(($stub | Read-PhysicalMemory -Offset 0xb000 -Length 2)) | Should -BeExactly '11-22'
        [BitConverter]::ToString([IO.File]::ReadAllBytes("/proc/$($stub.ProcessId)/fd/4")[0xb000..0xb001]) | Should -BeExactly '11-22'
    }

    It 'accepts hex strings for -Offset and -Address' {
        Write-PhysicalMemory -Stub $stub -Offset '0xa000' -Value ([byte[]](0x5a))
        (Read-PhysicalMemory -Stub $stub -Offset '0xa000' -Length 1)[0] | Should -Be 0x5a
        Add-VmOp Mmap '0x10000000' '0x1000' 'r--' '0xa000' -Stub $stub | Invoke-VmFlush | Out-Null
        (Read-StubMemory -Stub $stub -Address '0x10000000' -Length 1)[0] | Should -Be 0x5a
    }

    It 'writes StubMemoryUnmapped for an address with nothing mapped' {
        $r = Read-StubMemory -Stub $stub -Address 0x50000000 -Length 16 -ErrorVariable err -ErrorAction SilentlyContinue
        $r | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'StubMemoryUnmapped,UmlTlb.Commands.ReadStubMemoryCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ReadError'
        $err[0].TargetObject | Should -Be 0x50000000
    }

    It 'writes StubMemoryUnmapped for a page unmapped after being read' {
        Add-VmOp Mmap 0x10000000 0x1000 r-- 0 -Stub $stub | Invoke-VmFlush | Out-Null
        (Read-StubMemory -Stub $stub 0x10000000 8).Length | Should -Be 8
        Add-VmOp Munmap 0x10000000 0x1000 -Stub $stub | Invoke-VmFlush | Out-Null
        Read-StubMemory -Stub $stub 0x10000000 8 -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'StubMemoryUnmapped,UmlTlb.Commands.ReadStubMemoryCommand'
    }

    It 'writes PhysicalMemoryOutOfRange for <Cmdlet> beyond the file' -TestCases @(
        @{ Cmdlet = 'Read-PhysicalMemory'; Call = { Read-PhysicalMemory -Stub $stub -Offset 64MB -Length 16 -ErrorVariable script:err -ErrorAction SilentlyContinue } }
        @{ Cmdlet = 'Write-PhysicalMemory'; Call = { Write-PhysicalMemory -Stub $stub -Offset (64MB - 2) -Value ([byte[]](1, 2, 3, 4)) -ErrorVariable script:err -ErrorAction SilentlyContinue } }
    ) {
        $script:err = $null
        & $Call | Should -BeNullOrEmpty
        $script:err | Should -HaveCount 1
        $script:err[0].FullyQualifiedErrorId | Should -BeExactly ("PhysicalMemoryOutOfRange,UmlTlb.Commands.{0}Command" -f ($Cmdlet -replace '-', ''))
        $script:err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'writes nothing with -WhatIf' {
        Write-PhysicalMemory -Stub $stub -Offset 0xb000 -Value ([byte[]](0)) 
        Write-PhysicalMemory -Stub $stub -Offset 0xb000 -Value ([byte[]](0x77)) -WhatIf
        (Read-PhysicalMemory -Stub $stub -Offset 0xb000 -Length 1)[0] | Should -Be 0
    }
}

Describe 'Per-stub cmdlets choose their stub' -Tag 'CI' -ForEach @(
    @{ How = 'the StubProcess object' }
    @{ How = 'the stub Id' }
    @{ How = 'no -Stub (the default: the newest running stub)' }
) {
    BeforeAll {
        $script:older = Start-StubProcess -Name 'sel-older'
        $script:newer = Start-StubProcess -Name 'sel-newer'
        Register-TestStub $script:older
        Register-TestStub $script:newer
        foreach ($s in $older, $newer) {
            $s.WritePhysicalMemory(0, [byte[]]@(($s.Id % 256), 0xAA))
        }
        Add-VmOp Mmap 0x10000000 0x1000 r-- 0 -Stub $older | Invoke-VmFlush | Out-Null
        Add-VmOp Mmap 0x10000000 0x1000 r-- 0 -Stub $newer | Invoke-VmFlush | Out-Null
        Add-VmOp Mmap 0x11000000 0x1000 r-- 0 -Stub $older | Invoke-VmFlush | Out-Null

        # The stub the cmdlets must act on, and the one they must leave alone.
        $script:target, $script:bystander = if ($How -like 'no -Stub*') { $newer, $older } else { $older, $newer }
        $script:sel = switch -Wildcard ($How) {
            '*object' { @{ Stub = $older } }
            '*Id' { @{ Stub = $older.Id } }
            default { @{} }
        }
    }

    AfterAll {
        $older, $newer | Stop-StubProcess
    }

    BeforeEach {
        Clear-VmOp -Stub $older
        Clear-VmOp -Stub $newer
    }

    It 'Add-VmOp queues on the chosen stub when given <How>' {
        $op = Add-VmOp Munmap 0x12000000 0x1000 @sel
        $op.Stub.Id | Should -Be $target.Id
        $target.PendingOperations | Should -Be 1
        $bystander.PendingOperations | Should -Be 0
    }

    It 'Invoke-VmFlush flushes the chosen stub when given <How>' {
        Add-VmOp Mmap 0x13000000 0x1000 rw- 0 -Stub $target | Out-Null
        Add-VmOp Mmap 0x13000000 0x1000 rw- 0 -Stub $bystander | Out-Null
        $r = Invoke-VmFlush @sel
        $r.Stub.Id | Should -Be $target.Id
        Get-ProcMaps $target.ProcessId | Where-Object Start -EQ 0x13000000 | Should -Not -BeNullOrEmpty
        Get-ProcMaps $bystander.ProcessId | Where-Object Start -EQ 0x13000000 | Should -BeNullOrEmpty
        $bystander.PendingOperations | Should -Be 1
        Add-VmOp Munmap 0x13000000 0x1000 -Stub $target | Invoke-VmFlush | Out-Null
    }

    It 'Get-VmOp lists the chosen stub queue when given <How>' {
        Add-VmOp Munmap 0x14000000 0x1000 -Stub $target | Out-Null
        Add-VmOp Munmap 0x15000000 0x1000 -Stub $bystander | Out-Null
        $ops = @(Get-VmOp @sel)
        $ops | Should -HaveCount 1
        $ops[0].Address | Should -Be 0x14000000
        $ops[0].Stub.Id | Should -Be $target.Id
    }

    It 'Clear-VmOp clears the chosen stub queue when given <How>' {
        Add-VmOp Munmap 0x14000000 0x1000 -Stub $target | Out-Null
        Add-VmOp Munmap 0x15000000 0x1000 -Stub $bystander | Out-Null
        Clear-VmOp @sel
        $target.PendingOperations | Should -Be 0
        $bystander.PendingOperations | Should -Be 1
    }

    It 'Get-StubStatistics reports the chosen stub when given <How>' {
        (Get-StubStatistics @sel).Stub.Id | Should -Be $target.Id
    }

    It 'Get-StubMapping reads the chosen stub maps when given <How>' {
        $m = @(Get-StubMapping @sel)
        $m.Count | Should -Be @(Get-UserMaps $target).Count
        ($m | Where-Object Start -EQ 0x11000000) -as [bool] | Should -Be ($target -eq $older)
    }

    It 'Read-StubMemory reads the chosen stub memory when given <How>' {
        $b = Read-StubMemory 0x10000000 2 @sel
        $b[0] | Should -Be ($target.Id % 256)
        $b[1] | Should -Be 0xAA
    }

    It 'Read-PhysicalMemory reads the chosen stub file when given <How>' {
        (Read-PhysicalMemory 0 1 @sel)[0] | Should -Be ($target.Id % 256)
    }

    It 'Write-PhysicalMemory writes the chosen stub file when given <How>' {
        Write-PhysicalMemory 0x20000 ([byte[]](0x42)) @sel
        $target.ReadPhysicalMemory(0x20000, 1)[0] | Should -Be 0x42
        $bystander.ReadPhysicalMemory(0x20000, 1)[0] | Should -Be 0
        $target.WritePhysicalMemory(0x20000, [byte[]](0))
    }
}
