# New-VmPageTable, Set-VmPage and Sync-VmRange: the seed's fix_range_common from the pipeline,
# rows of a CSV file included; dirty state, -Force, -Summary, -WhatIf, both architectures.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = Import-UmlTlbModule

    function Get-MapsText($Stub) { (Get-Content "/proc/$($Stub.ProcessId)/maps") -join "`n" }
}

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $null = Import-UmlTlbModule
    $script:Architectures = foreach ($architecture in 'x86_64', 'i386') {
        @{ Architecture = $architecture; Unsupported = $null -ne (Get-ArchitectureSkipReason $architecture) }
    }
}

Describe 'Sync-VmRange on a <Architecture> stub' -Tag 'CI' -ForEach $Architectures {
    BeforeAll {
        $script:stub = $null
        if (-not $Unsupported) {
            $script:stub = Start-StubProcess -Architecture $Architecture -Name "pt-$Architecture"
        }
    }

    AfterAll {
        if ($stub) { Stop-StubProcess $stub }
    }

    BeforeEach {
        if ($stub) { Reset-Stub $stub }
    }

    It 'maps a CSV file of page changes with merged host ops, and the shadow agrees' -Skip:$Unsupported {
        $csv = Join-Path $TestDrive 'changes.csv'
        @(
            'Address,Length,Offset,Protection,Unmap'
            '0x10000000,0x4000,0x0,rw-,'
            '0x10004000,0x2000,0x4000,rw-,'
            '0x10010000,4096,0x8000,r--,'
        ) | Set-Content $csv
        $pt = New-VmPageTable -Stub $stub
        Import-Csv $csv | Set-VmPage -PageTable $pt
        $pt.Count | Should -Be 7
        $pt.DirtyCount | Should -Be 7

        $r = @(Sync-VmRange $pt)
        $r | Should -HaveCount 2
        $r.Status | Should -Be @('Succeeded', 'Succeeded')
        $r.MergedCount | Should -Be @(6, 1)
        $pt.DirtyCount | Should -Be 0
        $maps = @(Get-UserMaps $stub)
        ($maps | ForEach-Object { '0x{0:x}-0x{1:x} {2}' -f $_.Start, $_.End, $_.Perms }) |
            Should -Be @('0x10000000-0x10006000 rw-s', '0x10010000-0x10011000 r--s')
        @(Test-StubShadow -Stub $stub) | Should -HaveCount 0
    }

    It 'turns protection changes and unmaps from a CSV file into mprotects and munmaps' -Skip:$Unsupported {
        $pt = New-VmPageTable -Stub $stub
        Set-VmPage $pt -Address 0x10000000 -Length 0x4000 -Offset 0 -Protection rw-
        Sync-VmRange $pt | Out-Null
        $csv = Join-Path $TestDrive 'edits.csv'
        @(
            'Address,Length,Offset,Protection,Unmap'
            '0x10000000,0x2000,,r--,false'
            '0x10003000,0x1000,,,true'
        ) | Set-Content $csv
        Import-Csv $csv | Set-VmPage -PageTable $pt
        $r = @(Sync-VmRange $pt)
        $r.Operation | Should -Be @('Mprotect', 'Munmap')
        (Get-UserMaps $stub).Perms | Should -Be @('r--s', 'rw-s')
        $pt.Count | Should -Be 3
        @(Test-StubShadow -Stub $stub) | Should -HaveCount 0
    }
}

Describe 'Sync-VmRange' -Tag 'CI' {
    BeforeAll {
        $script:stub = Start-TestStub 'pagetable'
    }

    AfterAll {
        Stop-TestStub
    }

    BeforeEach {
        Reset-Stub $stub
        $script:pt = New-VmPageTable -Stub $stub
    }

    It 'writes a summary with single calls, batched ops and the average batch length' {
        for ($i = 0; $i -lt 100; $i++) {
            Set-VmPage $pt -Address (0x10000000 + $i * 0x2000) -Length 0x1000 -Offset 0 -Protection r--
        }
        $s = Sync-VmRange $pt -Summary
        $s | Should -BeOfType ([UmlTlb.VmRangeSyncSummary])
        $s.Entries | Should -Be 100
        $s.HostOperations | Should -Be 100
        $s.SingleCalls | Should -Be 0
        $s.BatchedOperations | Should -Be 100
        $s.AverageBatchLength | Should -Be (100 / $s.Batches)
        (Get-StubStatistics -Stub $stub).AverageBatchLength | Should -BeGreaterThan 0
    }

    It 'changes nothing in /proc/pid/maps with -Force on a table in sync' {
        Set-VmPage $pt 0x10000000 0x3000 0 rw-
        Set-VmPage $pt 0x10003000 0x1000 0x9000 r--
        Sync-VmRange $pt | Out-Null
        $before = Get-MapsText $stub
        $r = @(Sync-VmRange $pt -Force)
        $r.Status | Should -Not -Contain 'Failed'
        Get-MapsText $stub | Should -BeExactly $before
    }

    It 'syncs only the entries of -Start to -End' {
        Set-VmPage $pt 0x10000000 0x1000 0 rw-
        Set-VmPage $pt 0x20000000 0x1000 0 rw-
        $r = @(Sync-VmRange $pt -Start 0x18000000 -End '0x30000000')
        ($r | ForEach-Object Address) | Should -Be @(0x20000000)
        $pt.DirtyCount | Should -Be 1
    }

    It 'shows and writes a preview with -WhatIf and runs nothing' {
        Set-VmPage $pt 0x10000000 0x2000 0 rw-
        Sync-VmRange $pt | Out-Null
        Set-VmPage $pt 0x10000000 0x1000 -Protection r--
        Set-VmPage $pt 0x10004000 0x1000 0x4000 rw-
        $maps = Get-MapsText $stub
        $switches = Get-VoluntarySwitches $stub.ProcessId
        $p = Sync-VmRange $pt -WhatIf
        $p | Should -BeOfType ([UmlTlb.VmFlushPreview])
        $p.HostOperations.Operation | Should -Be @('Mprotect', 'Mmap')
        $p.Mapped | Should -Be 1
        $p.ProtectionChanged | Should -Be 1
        Get-MapsText $stub | Should -BeExactly $maps
        Get-VoluntarySwitches $stub.ProcessId | Should -Be $switches
        $pt.DirtyCount | Should -Be 2
        $stub.PendingOperations | Should -Be 0
    }

    It 'refuses <Case>' -TestCases @(
        @{ Case = '-Offset without -Protection'; Splat = @{ Address = 0x10000000; Length = 0x1000; Offset = 0 }; Id = 'VmPageChangeMissing' }
        @{ Case = 'no change at all'; Splat = @{ Address = 0x10000000; Length = 0x1000 }; Id = 'VmPageChangeMissing' }
        @{ Case = '-Unmap with -Protection'; Splat = @{ Address = 0x10000000; Length = 0x1000; Protection = 'r--'; Unmap = $true }; Id = 'UnmapWithMapping' }
        @{ Case = 'an unknown protection'; Splat = @{ Address = 0x10000000; Length = 0x1000; Offset = 0; Protection = 'rwz' }; Id = 'UnknownProtection' }
        @{ Case = 'an unaligned address'; Splat = @{ Address = 0x10000001; Length = 0x1000; Offset = 0; Protection = 'r--' }; Id = 'AddressNotAligned' }
    ) {
        { Set-VmPage $pt @Splat -ErrorAction Stop } | Should -Throw -ErrorId "$Id,UmlTlb.Commands.SetVmPageCommand"
        $pt.Count | Should -Be 0
    }

    It 'refuses an Unmap cell that is not true or false' {
        $row = [pscustomobject]@{ Address = '0x10000000'; Length = '0x1000'; Unmap = 'maybe' }
        { $row | Set-VmPage -PageTable $pt -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,UmlTlb.Commands.SetVmPageCommand'
    }

    It 'refuses a range that is not page aligned' {
        { Sync-VmRange $pt -Start 0x1001 -ErrorAction Stop } | Should -Throw -ErrorId 'VmRangeInvalid,UmlTlb.Commands.SyncVmRangeCommand'
    }
}
