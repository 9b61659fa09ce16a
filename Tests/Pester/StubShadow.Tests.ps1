# The shadow address space: Get-StubMapping -Shadow, Test-StubShadow after every flush
# (failed and skipped ops included, both architectures), and Compare-StubMapping.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = Import-UmlTlbModule

    # The shadow and /proc must agree: Test-StubShadow says nothing, and the shadow's
    # pages are those the test reads from /proc itself.
    function Assert-ShadowMatchesMaps($Stub, [string] $Because) {
        @(Test-StubShadow -Stub $Stub) | Should -HaveCount 0 -Because $Because
        $shadow = @(Get-StubMapping -Stub $Stub -Shadow | ForEach-Object { '{0:x}-{1:x} {2} {3:x}' -f $_.Start, $_.End, $_.Permissions, $_.Offset })
        $proc = @(Get-UserMaps $Stub | ForEach-Object { '{0:x}-{1:x} {2} {3:x}' -f $_.Start, $_.End, $_.Perms, $_.Offset })
        # The kernel merges VMAs as the shadow does for shared mappings of one file.
        $shadow | Should -Be $proc -Because $Because
    }
}

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $null = Import-UmlTlbModule
    $script:Architectures = foreach ($architecture in 'x86_64', 'i386') {
        @{ Architecture = $architecture; Unsupported = $null -ne (Get-ArchitectureSkipReason $architecture) }
    }
}

Describe 'The shadow of a <Architecture> stub' -Tag 'CI' -ForEach $Architectures {
    BeforeAll {
        $script:stub = $null
        if (-not $Unsupported) {
            $script:stub = Start-StubProcess -Architecture $Architecture -Name "shadow-$Architecture"
        }
    }

    AfterAll {
        if ($stub) { Stop-StubProcess $stub }
    }

    BeforeEach {
        if ($stub) { Reset-Stub $stub }
    }

    It 'is empty for an empty user range, as /proc is' -Skip:$Unsupported {
        @(Get-StubMapping -Stub $stub -Shadow) | Should -HaveCount 0
        @(Test-StubShadow -Stub $stub) | Should -HaveCount 0
    }

    It 'shows mapped ranges as the same MemoryMapping objects as /proc/pid/maps' -Skip:$Unsupported {
        Add-VmOp Mmap 0x10000000 0x3000 rw- 0x2000 -Stub $stub | Invoke-VmFlush | Out-Null
        Add-VmOp Mprotect 0x10001000 0x1000 r-- -Stub $stub | Invoke-VmFlush | Out-Null
        $shadow = @(Get-StubMapping -Stub $stub -Shadow)
        $proc = @(Get-StubMapping -Stub $stub)
        $shadow | Should -HaveCount 3
        $shadow[0] | Should -BeOfType ([UmlTlb.MemoryMapping])
        foreach ($i in 0..2) {
            $shadow[$i].ToString() | Should -BeExactly $proc[$i].ToString()
        }
        $shadow[1].Permissions | Should -BeExactly 'r--s'
    }

    It 'follows a failed mprotect, which changed the pages before the hole, and the skipped ops after it' -Skip:$Unsupported {
        Add-VmOp Mmap 0x10000000 0x2000 rw- 0 -Stub $stub | Invoke-VmFlush | Out-Null
        Add-VmOp Mmap 0x10003000 0x1000 rw- 0x3000 -Stub $stub | Invoke-VmFlush | Out-Null
        $r = @(@(
                Add-VmOp Mprotect 0x10000000 0x4000 r-- -Stub $stub
                Add-VmOp Munmap 0x10003000 0x1000 -Stub $stub
            ) | Invoke-VmFlush -ErrorAction SilentlyContinue)
        $r.Status | Should -Be @('Failed', 'Skipped')
        Assert-ShadowMatchesMaps $stub 'after the failed mprotect'
        (Get-StubMapping -Stub $stub -Shadow).Permissions | Should -Be @('r--s', 'rw-s')
    }

    It 'agrees with /proc after every flush of a random sequence with holes' -Skip:$Unsupported {
        $random = [Random]::new($(if ($Architecture -eq 'x86_64') { 10 } else { 11 }))
        $protections = 'rw-', 'r--', '---', 'r-x', 'rwx'
        for ($flush = 0; $flush -lt 12; $flush++) {
            $ops = for ($i = 0; $i -lt $random.Next(1, 30); $i++) {
                $address = 0x10000000 + [uint64]$random.Next(0, 48) * 0x1000
                $length = [uint64]$random.Next(1, 6) * 0x1000
                switch ($random.Next(3)) {
                    0 { [pscustomobject]@{ Operation = 'Mmap'; Address = $address; Length = $length; Protection = $protections[$random.Next(5)]; Offset = [uint64]$random.Next(0, 16) * 0x1000 } }
                    1 { [pscustomobject]@{ Operation = 'Munmap'; Address = $address; Length = $length } }
                    2 { [pscustomobject]@{ Operation = 'Mprotect'; Address = $address; Length = $length; Protection = $protections[$random.Next(5)] } }
                }
            }
            $continue = $random.Next(2) -eq 1
            $null = $ops | Add-VmOp -Stub $stub | Invoke-VmFlush -ContinueOnError:$continue -ErrorAction SilentlyContinue
            Assert-ShadowMatchesMaps $stub "after flush $flush"
        }
    }
}

Describe 'Get-StubMapping -Shadow and Test-StubShadow' -Tag 'CI' {
    BeforeAll {
        $script:stub = Start-TestStub 'shadow-params'
    }

    AfterAll {
        Stop-TestStub
    }

    It 'refuses -Shadow with -All: the shadow covers only the user range' {
        { Get-StubMapping -Stub $stub -Shadow -All -ErrorAction Stop } |
            Should -Throw -ErrorId 'AmbiguousParameterSet,UmlTlb.Commands.GetStubMappingCommand'
    }

    It 'takes the stub from the pipeline' {
        $stub | Test-StubShadow | Should -BeNullOrEmpty
        @($stub | Get-StubMapping -Shadow) | Should -HaveCount 0
    }
}

Describe 'Compare-StubMapping' -Tag 'CI' {
    BeforeAll {
        $script:stub = Start-TestStub 'compare'
    }

    AfterAll {
        Stop-TestStub
    }

    BeforeEach {
        Reset-Stub $stub
    }

    It 'writes nothing for equal snapshots, whichever way the kernel split its VMAs' {
        Add-VmOp Mmap 0x10000000 0x4000 rw- 0 -Stub $stub | Invoke-VmFlush | Out-Null
        $a = Get-StubMapping -Stub $stub
        Compare-StubMapping -Before $a -After (Get-StubMapping -Stub $stub) | Should -BeNullOrEmpty
        Compare-StubMapping -Before $a -After (Get-StubMapping -Stub $stub -Shadow) | Should -BeNullOrEmpty
        Compare-StubMapping @() @() | Should -BeNullOrEmpty
    }

    It 'names each range that was mapped, unmapped, protected or remapped' {
        Add-VmOp Mmap 0x10000000 0x4000 rw- 0 -Stub $stub | Invoke-VmFlush | Out-Null
        $before = Get-StubMapping -Stub $stub
        @(
            Add-VmOp Mprotect 0x10000000 0x1000 r-- -Stub $stub
            Add-VmOp Munmap 0x10001000 0x1000 -Stub $stub
            Add-VmOp Mmap 0x10002000 0x1000 rw- 0x8000 -Stub $stub
            Add-VmOp Mmap 0x10010000 0x2000 r-x 0 -Stub $stub
        ) | Invoke-VmFlush | Out-Null
        $changes = @(Compare-StubMapping -Before $before -After (Get-StubMapping -Stub $stub))
        $changes | Should -HaveCount 4
        $changes[0] | Should -BeOfType ([UmlTlb.MappingChange])
        $changes.Change | Should -Be @('ProtectionChanged', 'Unmapped', 'Remapped', 'Mapped')
        ($changes | ForEach-Object { '0x{0:x}-0x{1:x}' -f $_.Start, $_.End }) |
            Should -Be @('0x10000000-0x10001000', '0x10001000-0x10002000', '0x10002000-0x10003000', '0x10010000-0x10012000')
        $changes[0].Before.Permissions | Should -BeExactly 'rw-s'
        $changes[0].After.Permissions | Should -BeExactly 'r--s'
        $changes[1].After | Should -BeNullOrEmpty
        $changes[2].Before.Offset | Should -Be 0x2000
        $changes[2].After.Offset | Should -Be 0x8000
        $changes[3].Before | Should -BeNullOrEmpty
        $changes[3].Length | Should -Be 0x2000
    }

    It 'refuses a snapshot whose mappings overlap' {
        $m = Get-StubMapping -Stub $stub -All | Select-Object -First 1
        { Compare-StubMapping -Before @($m, $m) -After @() -ErrorAction Stop } |
            Should -Throw -ErrorId 'MappingsOverlap,UmlTlb.Commands.CompareStubMappingCommand'
    }
}

Describe 'Invoke-VmFlush -WhatIf and -Atomic on a <Architecture> stub' -Tag 'CI' -ForEach $Architectures {
    BeforeAll {
        $script:stub = $null
        if (-not $Unsupported) {
            $script:stub = Start-StubProcess -Architecture $Architecture -Name "atomic-$Architecture"
        }
    }

    AfterAll {
        if ($stub) { Stop-StubProcess $stub }
    }

    BeforeEach {
        if ($stub) {
            Reset-Stub $stub
            Add-VmOp Mmap 0x10000000 0x4000 rw- 0 -Stub $stub | Invoke-VmFlush | Out-Null
        }
    }

    It 'shows the host ops and the change with -WhatIf, writes the preview, and runs nothing' -Skip:$Unsupported {
        $maps = (Get-Content "/proc/$($stub.ProcessId)/maps") -join "`n"
        $shadow = (Get-StubMapping -Stub $stub -Shadow | ForEach-Object ToString) -join "`n"
        $switches = Get-VoluntarySwitches $stub.ProcessId
        $p = @(
            Add-VmOp Mprotect 0x10000000 0x2000 r-- -Stub $stub
            Add-VmOp Munmap 0x10003000 0x1000 -Stub $stub
            Add-VmOp Mmap 0x10008000 0x2000 r-x 0x8000 -Stub $stub
        ) | Invoke-VmFlush -WhatIf
        $p | Should -HaveCount 1
        $p[0] | Should -BeOfType ([UmlTlb.VmFlushPreview])
        $p[0].HostOperations | Should -HaveCount 3
        ($p[0].Mapped, $p[0].Unmapped, $p[0].ProtectionChanged, $p[0].Remapped) | Should -Be @(1, 1, 1, 0)
        (Get-Content "/proc/$($stub.ProcessId)/maps") -join "`n" | Should -BeExactly $maps
        (Get-StubMapping -Stub $stub -Shadow | ForEach-Object ToString) -join "`n" | Should -BeExactly $shadow
        Get-VoluntarySwitches $stub.ProcessId | Should -Be $switches
        $stub.PendingOperations | Should -Be 3

        # The preview's changes are what the real flush then does.
        $before = Get-StubMapping -Stub $stub
        Invoke-VmFlush -Stub $stub | Out-Null
        $actual = @(Compare-StubMapping $before (Get-StubMapping -Stub $stub) | ForEach-Object ToString)
        $actual | Should -Be @($p[0].Changes | ForEach-Object ToString)
    }

    It 'predicts an mprotect that meets a hole as Failed with ENOMEM and the rest Skipped' -Skip:$Unsupported {
        $p = @(
            Add-VmOp Mprotect 0x10002000 0x4000 r-- -Stub $stub
            Add-VmOp Munmap 0x10000000 0x1000 -Stub $stub
        ) | Invoke-VmFlush -WhatIf
        $p.HostOperations.ExpectedStatus | Should -Be @('Failed', 'Skipped')
        $p.HostOperations[0].ExpectedErrno | Should -BeExactly 'ENOMEM'
        $p.ExpectedFailures | Should -Be 1
        $p.ProtectionChanged | Should -Be 1
        Clear-VmOp -Stub $stub
    }

    It 'undoes a failed flush with -Atomic: RolledBack, Failed, Skipped, and /proc/pid/maps as before' -Skip:$Unsupported {
        $maps = (Get-Content "/proc/$($stub.ProcessId)/maps") -join "`n"
        $ops = @(
            Add-VmOp Mmap 0x10010000 0x3000 r-- 0x1000 -Stub $stub
            Add-VmOp Munmap 0x10001000 0x1000 -Stub $stub
            Add-VmOp Mprotect 0x10002000 0x4000 r-- -NoCoalesce -Stub $stub
            Add-VmOp Mmap 0x10020000 0x1000 rw- 0 -Stub $stub
        )
        $r = @($ops | Invoke-VmFlush -Atomic -ErrorVariable err -ErrorAction SilentlyContinue)
        $r.Status | Should -Be @('RolledBack', 'RolledBack', 'Failed', 'Skipped')
        $r[2].Errno | Should -BeExactly 'ENOMEM'
        @($err | Where-Object FullyQualifiedErrorId -EQ 'StubSyscallFailed,UmlTlb.Commands.InvokeVmFlushCommand') | Should -HaveCount 1
        (Get-Content "/proc/$($stub.ProcessId)/maps") -join "`n" | Should -BeExactly $maps
        @(Test-StubShadow -Stub $stub) | Should -HaveCount 0
    }

    It 'ends an atomic flush without a failure as a plain flush and writes RolledBack 0 in its summary' -Skip:$Unsupported {
        $s = Add-VmOp Mprotect 0x10000000 0x4000 r-- -Stub $stub | Invoke-VmFlush -Atomic -Summary
        $s.Failed | Should -Be 0
        $s.RolledBack | Should -Be 0
        (Get-UserMaps $stub).Perms | Should -Be @('r--s')
    }

    It 'undoes a failed Sync-VmRange -Atomic and leaves its entries dirty' -Skip:$Unsupported {
        $pt = New-VmPageTable -Stub $stub
        Set-VmPage $pt 0x10000000 0x4000 0 rw-
        Set-VmPage $pt 0x10006000 0x1000 0x6000 r--
        # The table does not know that 0x10004000 is a hole: protecting across it fails there.
        Set-VmPage $pt 0x10004000 0x1000 0x4000 rw-
        Sync-VmRange $pt | Out-Null
        Add-VmOp Munmap 0x10004000 0x1000 -Stub $stub | Invoke-VmFlush | Out-Null
        $maps = (Get-Content "/proc/$($stub.ProcessId)/maps") -join "`n"
        Set-VmPage $pt 0x10000000 0x7000 -Protection r--
        $r = @(Sync-VmRange $pt -Atomic -ErrorAction SilentlyContinue)
        $r.Status | Should -Contain 'Failed'
        $r.Status | Should -Contain 'RolledBack'
        (Get-Content "/proc/$($stub.ProcessId)/maps") -join "`n" | Should -BeExactly $maps
        $pt.DirtyCount | Should -Be 5
    }
}

Describe 'Invoke-VmFlush -Atomic' -Tag 'CI' {
    It 'refuses -ContinueOnError with -Atomic' {
        $stub = Start-TestStub 'atomic-args'
        try {
            { Invoke-VmFlush -Stub $stub -Atomic -ContinueOnError -ErrorAction Stop } |
                Should -Throw -ErrorId 'AtomicWithContinueOnError,UmlTlb.Commands.InvokeVmFlushCommand'
        } finally {
            Stop-TestStub
        }
    }
}
