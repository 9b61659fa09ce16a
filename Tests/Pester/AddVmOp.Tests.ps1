# Add-VmOp: binding (CSV, hex strings, protection strings, VmOp objects), the seed's
# coalescing rules, and every validation error. Outcomes checked in /proc/<pid>/maps.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = Import-UmlTlbModule
}

AfterAll {
    Stop-TestStub
}

Describe 'Add-VmOp without a stub' -Tag 'CI' {
    It 'throws the terminating error NoStubProcess when no stub runs' {
        # Other test files stop their stubs; stop any left so that no default stub exists.
        Get-StubProcess | Where-Object State -EQ 'Running' | Stop-StubProcess
        # -ErrorAction SilentlyContinue does not stop a terminating error.
        $e = { Add-VmOp Mmap 0x10000000 0x1000 rw- 0 -ErrorAction SilentlyContinue } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'NoStubProcess,UmlTlb.Commands.AddVmOpCommand'
        $e.CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }
}

Describe 'Add-VmOp over <Transport>' -Tag 'CI' -ForEach @(@{ Transport = 'Ptrace' }, @{ Transport = 'Doorbell' }) {
    BeforeAll {
        $script:stub = Start-TestStub 'addvmop' $Transport
    }

    BeforeEach {
        Reset-Stub $stub 0x10000000
    }

    Context 'binding' {
        It 'queues ops from Import-Csv with hex strings and runs nothing' {
            $csv = Join-Path $TestDrive 'ops.csv'
            @(
                'Operation,Address,Length,Protection,Offset'
                'Mmap,0x10000000,0x1000,rw-,0x0'
                'Mmap,0x10010000,0x2000,r--,0x4000'
                'mmap,0x10020000,4096,RW,8192'
            ) | Set-Content $csv
            $ops = @(Import-Csv $csv | Add-VmOp -Stub $stub)
            $ops | Should -HaveCount 3
            $ops[1].Address | Should -Be 0x10010000
            $ops[1].Length | Should -Be 0x2000
            $ops[1].Offset | Should -Be 0x4000
            $ops[2].Offset | Should -Be 8192
            $ops[0].Stub.Id | Should -Be $stub.Id
            $stub.PendingOperations | Should -Be 3
            Get-MapAt $stub.ProcessId 0x10000000 | Should -BeNullOrEmpty
        }

        It 'reads the Type column as the operation' {
            $op = [pscustomobject]@{ Type = 'Munmap'; Address = '0x10000000'; Length = '0x1000' } | Add-VmOp -Stub $stub
            $op.Operation | Should -Be 'Munmap'
            $stub.PendingOperations | Should -Be 1
        }

        It 'maps <Text> as <Perms> in /proc/pid/maps' -TestCases @(
            @{ Text = 'rw-'; Expected = 'Read, Write'; Perms = 'rw-s' }
            @{ Text = 'r-x'; Expected = 'Read, Execute'; Perms = 'r-xs' }
            @{ Text = '---'; Expected = 'None'; Perms = '---s' }
            @{ Text = 'RW'; Expected = 'Read, Write'; Perms = 'rw-s' }
            @{ Text = 'Read,Write'; Expected = 'Read, Write'; Perms = 'rw-s' }
            @{ Text = 'r--'; Expected = 'Read'; Perms = 'r--s' }
        ) {
            $row = "Operation,Address,Length,Protection,Offset`n" + "Mmap,0x10000000,0x1000,`"$Text`",0" | ConvertFrom-Csv
            $op = $row | Add-VmOp -Stub $stub
            $op.Protection | Should -Be ([UmlTlb.VmProtection]$Expected)
            $r = $op | Invoke-VmFlush
            $r.Status | Should -Be 'Succeeded'
            (Get-MapAt $stub.ProcessId 0x10000000).Perms | Should -BeExactly $Perms
        }

        It 'queues VmOp objects by value' {
            $ops = @(
                [UmlTlb.VmOp]@{ Operation = 'Mmap'; Address = 0x10000000; Length = 0x1000; Protection = 'Read'; Offset = 0 }
                [UmlTlb.VmOp]@{ Operation = 'Mmap'; Address = 0x10008000; Length = 0x1000; Protection = 'Read, Write'; Offset = 0x1000 }
            )
            $queued = @($ops | Add-VmOp -Stub $stub)
            $queued | Should -HaveCount 2
            $queued.HostOp | Should -Not -Contain 0
            $queued | Invoke-VmFlush | Out-Null
            (Get-MapAt $stub.ProcessId 0x10000000).Perms | Should -BeExactly 'r--s'
            (Get-MapAt $stub.ProcessId 0x10008000).Offset | Should -Be 0x1000
        }

        It 'queues again the ops Get-VmOp returns' {
            Add-VmOp Mmap 0x10000000 0x1000 rw- 0 -Stub $stub | Out-Null
            $pending = Get-VmOp -Stub $stub
            Clear-VmOp -Stub $stub
            $again = $pending | Add-VmOp -Stub $stub
            $again.Address | Should -Be 0x10000000
            $stub.PendingOperations | Should -Be 1
        }

        It 'takes positional Operation, Address, Length, Protection and Offset' {
            $op = Add-VmOp Mmap '0x10000000' '0x3000' 'r--' '0x2000' -Stub $stub
            $op.Operation, $op.Address, $op.Length, $op.Protection, $op.Offset |
                Should -Be @([UmlTlb.VmOpKind]::Mmap, 0x10000000, 0x3000, [UmlTlb.VmProtection]::Read, 0x2000)
        }
    }

    Context 'coalescing' {
        It 'merges contiguous mmaps of the same protection and contiguous offsets into one host op' {
            $a = Add-VmOp Mmap 0x10000000 0x1000 rw- 0x0000 -Stub $stub
            $b = Add-VmOp Mmap 0x10001000 0x1000 rw- 0x1000 -Stub $stub
            $c = Add-VmOp Mmap 0x10002000 0x2000 rw- 0x2000 -Stub $stub
            $a.Coalesced | Should -BeFalse
            $b.Coalesced | Should -BeTrue
            $c.Coalesced | Should -BeTrue
            $b.HostOp | Should -Be $a.HostOp
            $c.HostOp | Should -Be $a.HostOp
            $pending = @(Get-VmOp -Stub $stub)
            $pending | Should -HaveCount 1
            $pending[0].Length | Should -Be 0x4000
            $pending[0].Coalesced | Should -BeTrue
            $r = @(Invoke-VmFlush -Stub $stub)
            $r | Should -HaveCount 1
            $r[0].MergedCount | Should -Be 3
            $r[0].Length | Should -Be 0x4000
            $map = Get-MapAt $stub.ProcessId 0x10003000
            $map.Start | Should -Be 0x10000000
            $map.End | Should -Be 0x10004000
        }

        It 'maps each page of a merged mmap at its own offset (memory contents)' {
            Write-PhysicalMemory -Stub $stub -Offset 0x5000 -Value ([byte[]](0x11, 0x12))
            Write-PhysicalMemory -Stub $stub -Offset 0x6000 -Value ([byte[]](0x21, 0x22))
            Add-VmOp Mmap 0x10000000 0x1000 r-- 0x5000 -Stub $stub | Out-Null
            Add-VmOp Mmap 0x10001000 0x1000 r-- 0x6000 -Stub $stub | Out-Null
            @(Get-VmOp -Stub $stub) | Should -HaveCount 1
            Invoke-VmFlush -Stub $stub | Out-Null
            (Read-StubMemory -Stub $stub 0x10000000 2) -join ',' | Should -BeExactly '17,18'
            (Read-StubMemory -Stub $stub 0x10001000 2) -join ',' | Should -BeExactly '33,34'
        }

        It 'does not merge <Case>' -TestCases @(
            @{ Case = 'mmaps with non-contiguous offsets'; First = @('Mmap', 0x10000000, 0x1000, 'rw-', 0x0); Second = @('Mmap', 0x10001000, 0x1000, 'rw-', 0x3000) }
            @{ Case = 'mmaps with different protection'; First = @('Mmap', 0x10000000, 0x1000, 'rw-', 0x0); Second = @('Mmap', 0x10001000, 0x1000, 'r--', 0x1000) }
            @{ Case = 'mmaps with an address gap'; First = @('Mmap', 0x10000000, 0x1000, 'rw-', 0x0); Second = @('Mmap', 0x10002000, 0x1000, 'rw-', 0x1000) }
            @{ Case = 'a munmap after an mmap'; First = @('Mmap', 0x10000000, 0x1000, 'rw-', 0x0); Second = @('Munmap', 0x10001000, 0x1000, 'None', 0) }
            @{ Case = 'an mprotect after an mmap'; First = @('Mmap', 0x10000000, 0x1000, 'rw-', 0x0); Second = @('Mprotect', 0x10001000, 0x1000, 'rw-', 0) }
            @{ Case = 'mprotects with different protection'; First = @('Mprotect', 0x10000000, 0x1000, 'r--', 0); Second = @('Mprotect', 0x10001000, 0x1000, 'rw-', 0) }
            @{ Case = 'a backwards-contiguous mmap'; First = @('Mmap', 0x10001000, 0x1000, 'rw-', 0x1000); Second = @('Mmap', 0x10000000, 0x1000, 'rw-', 0x0) }
        ) {
            $a = Add-VmOp @First -Stub $stub
            $b = Add-VmOp @Second -Stub $stub
            $b.Coalesced | Should -BeFalse
            $b.HostOp | Should -Be ($a.HostOp + 1)
            @(Get-VmOp -Stub $stub) | Should -HaveCount 2
        }

        It 'merges <Case>' -TestCases @(
            @{ Case = 'contiguous munmaps'; Kind = 'Munmap'; Prot = 'None' }
            @{ Case = 'contiguous mprotects of the same protection over mapped pages'; Kind = 'Mprotect'; Prot = 'r--' }
        ) {
            if ($Kind -eq 'Mprotect') {
                Add-VmOp Mmap 0x10000000 0x4000 rw- 0 -Stub $stub | Invoke-VmFlush | Out-Null
            }
            $a = Add-VmOp $Kind 0x10000000 0x1000 $Prot -Stub $stub
            $b = Add-VmOp $Kind 0x10001000 0x3000 $Prot -Stub $stub
            $b.Coalesced | Should -BeTrue
            $b.HostOp | Should -Be $a.HostOp
            $pending = @(Get-VmOp -Stub $stub)
            $pending | Should -HaveCount 1
            $pending[0].Length | Should -Be 0x4000
        }

        It 'does not merge contiguous mprotects whose merged range has a hole: one host op would fail at it' {
            Add-VmOp Mmap 0x10000000 0x1000 rw- 0 -Stub $stub | Invoke-VmFlush | Out-Null
            $a = Add-VmOp Mprotect 0x10000000 0x1000 r-- -Stub $stub
            $b = Add-VmOp Mprotect 0x10001000 0x1000 r-- -Stub $stub
            $b.Coalesced | Should -BeFalse
            $b.HostOp | Should -Be ($a.HostOp + 1)
        }

        It 'keeps every op its own host op with -NoCoalesce' {
            $ops = 0..3 | ForEach-Object { Add-VmOp Mmap (0x10000000 + $_ * 0x1000) 0x1000 rw- ($_ * 0x1000) -Stub $stub -NoCoalesce }
            $ops.Coalesced | Should -Not -Contain $true
            @($ops.HostOp | Select-Object -Unique) | Should -HaveCount 4
            $r = @(Invoke-VmFlush -Stub $stub)
            $r | Should -HaveCount 4
            $r.MergedCount | Should -Be @(1, 1, 1, 1)
            (Get-MapAt $stub.ProcessId 0x10003000).Perms | Should -BeExactly 'rw-s'
        }

        It 'counts merged ops in CoalescedOperations' {
            $before = (Get-StubStatistics -Stub $stub).CoalescedOperations
            Add-VmOp Munmap 0x10000000 0x1000 -Stub $stub | Out-Null
            Add-VmOp Munmap 0x10001000 0x1000 -Stub $stub | Out-Null
            Add-VmOp Munmap 0x10002000 0x1000 -Stub $stub | Out-Null
            (Get-StubStatistics -Stub $stub).CoalescedOperations | Should -Be ($before + 2)
        }
    }

    Context 'validation' {
        It 'rejects <Reason> with InvalidArgument, the offending value as TargetObject, and queues nothing' -TestCases @(
            @{ Reason = 'AddressNotAligned'; Op = @{ Operation = 'Mmap'; Address = '0x10000010'; Length = '0x1000'; Protection = 'rw-'; Offset = '0' }; Offending = @([uint64]0x10000010) }
            @{ Reason = 'OffsetNotAligned'; Op = @{ Operation = 'Mmap'; Address = '0x10000000'; Length = '0x1000'; Protection = 'rw-'; Offset = '0x800' }; Offending = @([uint64]0x800) }
            @{ Reason = 'LengthZero'; Op = @{ Operation = 'Munmap'; Address = '0x10000000'; Length = '0' }; Offending = @([uint64]0) }
            @{ Reason = 'LengthNotAligned'; Op = @{ Operation = 'Mprotect'; Address = '0x10000000'; Length = '0x1001'; Protection = 'r--' }; Offending = @([uint64]0x1001) }
            @{ Reason = 'RangeWraps'; Op = @{ Operation = 'Munmap'; Address = '0xfffffffffffff000'; Length = '0x2000' }; Offending = @(0xfffffffffffff000u, [uint64]0x2000) }
            @{ Reason = 'BeyondPhysicalMemory'; Op = @{ Operation = 'Mmap'; Address = '0x10000000'; Length = '0x2000'; Protection = 'rw-'; Offset = '0x3fff000' }; Offending = @([uint64]0x3fff000, [uint64]0x2000) }
            @{ Reason = 'BeyondPhysicalMemory'; Op = @{ Operation = 'Mmap'; Address = '0x10000000'; Length = '0x1000'; Protection = 'rw-'; Offset = '0x4000000' }; Offending = @([uint64]0x4000000) }
        ) {
            $queued = Add-VmOp @Op -Stub $stub -ErrorVariable err -ErrorAction SilentlyContinue
            $queued | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly "$Reason,UmlTlb.Commands.AddVmOpCommand"
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err[0].TargetObject | Should -BeIn $Offending
            $stub.PendingOperations | Should -Be 0
        }

        It 'rejects a range that reaches the stub pages with RangeBeyondUserLimit' -TestCases @(
            @{ Below = 0x1000; Length = 0x2000 }
            @{ Below = 0x0; Length = 0x1000 }
            @{ Below = 0x10000; Length = 0x20000 }
        ) {
            $address = $stub.UserAddressLimit - $Below
            Add-VmOp Munmap $address $Length -Stub $stub -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'RangeBeyondUserLimit,UmlTlb.Commands.AddVmOpCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err[0].TargetObject | Should -Be $address
            $stub.PendingOperations | Should -Be 0
        }

        It 'accepts a range that ends exactly at UserAddressLimit' {
            $op = Add-VmOp Munmap ($stub.UserAddressLimit - 0x1000) 0x1000 -Stub $stub
            $op.HostOp | Should -BeGreaterThan 0
            $r = Invoke-VmFlush -Stub $stub
            $r.Status | Should -Be 'Succeeded'
            "/proc/$($stub.ProcessId)" | Should -Exist
            (Get-ProcMaps $stub.ProcessId | Where-Object Start -EQ $stub.StubCodeAddress) | Should -Not -BeNullOrEmpty
        }

        It 'rejects an unknown <Field> as Unknown<Field> without losing the other rows' -TestCases @(
            @{ Field = 'operation'; Bad = [pscustomobject]@{ Operation = 'Remap'; Address = '0x10001000'; Length = '0x1000'; Protection = 'rw-'; Offset = '0' }; Value = 'Remap' }
            @{ Field = 'protection'; Bad = [pscustomobject]@{ Operation = 'Mmap'; Address = '0x10001000'; Length = '0x1000'; Protection = 'rwz'; Offset = '0' }; Value = 'rwz' }
        ) {
            $rows = @(
                [pscustomobject]@{ Operation = 'Mmap'; Address = '0x10000000'; Length = '0x1000'; Protection = 'rw-'; Offset = '0' }
                $Bad
                [pscustomobject]@{ Operation = 'Mmap'; Address = '0x10002000'; Length = '0x1000'; Protection = 'rw-'; Offset = '0x2000' }
            )
            $queued = @($rows | Add-VmOp -Stub $stub -NoCoalesce -ErrorVariable err -ErrorAction SilentlyContinue)
            $queued | Should -HaveCount 2
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly "Unknown$((Get-Culture).TextInfo.ToTitleCase($Field)),UmlTlb.Commands.AddVmOpCommand"
            $err[0].Exception.Message | Should -Match ([regex]::Escape("'$Value'"))
            $stub.PendingOperations | Should -Be 2
        }

        It 'reports an unknown <Field> as InvalidArgument with the bad value as TargetObject' -TestCases @(
            @{ Field = 'operation'; Bad = [pscustomobject]@{ Operation = 'Remap'; Address = '0x10001000'; Length = '0x1000'; Protection = 'rw-'; Offset = '0' }; Value = 'Remap' }
            @{ Field = 'protection'; Bad = [pscustomobject]@{ Operation = 'Mmap'; Address = '0x10001000'; Length = '0x1000'; Protection = 'rwz'; Offset = '0' }; Value = 'rwz' }
        ) {
            $Bad | Add-VmOp -Stub $stub -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err[0].TargetObject | Should -BeExactly $Value
        }

        It 'rejects a number that is not an unsigned 64-bit value' -TestCases @(
            @{ Address = '-4096' }
            @{ Address = '0xZZ' }
            @{ Address = '0x1_0000_0000_0000_0000' }
        ) {
            [pscustomobject]@{ Operation = 'Munmap'; Address = $Address; Length = '0x1000' } |
                Add-VmOp -Stub $stub -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'ParameterArgumentTransformationError,UmlTlb.Commands.AddVmOpCommand'
            $stub.PendingOperations | Should -Be 0
        }

        It 'keeps the good rows before and after bad rows of a CSV pipeline (maps)' {
            $csv = @(
                'Operation,Address,Length,Protection,Offset'
                'Mmap,0x10000000,0x1000,rw-,0x0'
                'Mmap,0x10010001,0x1000,rw-,0x0'
                'Mmap,0x10020000,0x1000,r--,0x1000'
                'Flip,0x10030000,0x1000,r--,0x1000'
                'Mmap,0x10040000,0x0,r--,0x1000'
                'Mmap,0x10050000,0x1000,r-x,0x2000'
            ) | ConvertFrom-Csv
            $results = @($csv | Add-VmOp -Stub $stub -ErrorVariable err -ErrorAction SilentlyContinue | Invoke-VmFlush)
            $err | Should -HaveCount 3
            $err.FullyQualifiedErrorId | Should -Be @(
                'AddressNotAligned,UmlTlb.Commands.AddVmOpCommand'
                'UnknownOperation,UmlTlb.Commands.AddVmOpCommand'
                'LengthZero,UmlTlb.Commands.AddVmOpCommand')
            $results | Should -HaveCount 3
            $results.Status | Should -Be @('Succeeded', 'Succeeded', 'Succeeded')
            (Get-MapAt $stub.ProcessId 0x10000000).Perms | Should -BeExactly 'rw-s'
            (Get-MapAt $stub.ProcessId 0x10020000).Perms | Should -BeExactly 'r--s'
            (Get-MapAt $stub.ProcessId 0x10050000).Perms | Should -BeExactly 'r-xs'
            Get-MapAt $stub.ProcessId 0x10010000 | Should -BeNullOrEmpty
            Get-MapAt $stub.ProcessId 0x10030000 | Should -BeNullOrEmpty
            Get-MapAt $stub.ProcessId 0x10040000 | Should -BeNullOrEmpty
        }
    }
}
