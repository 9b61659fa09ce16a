# The default views of UmlTlb.Format.ps1xml: every output type has a table view, and
# addresses show in hex.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = Import-UmlTlbModule
    $script:stub = Start-StubProcess -Name 'format'
    Add-VmOp Mmap 0x10000000 0x1000 rw- 0x2000 -Stub $stub | Invoke-VmFlush | Out-Null
}

AfterAll {
    Stop-StubProcess $stub
}

Describe 'Default table views' -Tag 'CI' {
    It 'has a table view for <TypeName>' -TestCases @(
        @{ TypeName = 'UmlTlb.StubProcess' }
        @{ TypeName = 'UmlTlb.VmOp' }
        @{ TypeName = 'UmlTlb.VmOpResult' }
        @{ TypeName = 'UmlTlb.VmFlushSummary' }
        @{ TypeName = 'UmlTlb.StubStatistics' }
        @{ TypeName = 'UmlTlb.MemoryMapping' }
        @{ TypeName = 'UmlTlb.MappingChange' }
        @{ TypeName = 'UmlTlb.VmRangeSyncSummary' }
        @{ TypeName = 'UmlTlb.VmFlushPreview' }
        @{ TypeName = 'UmlTlb.VmPageTable' }
    ) {
        $data = Get-FormatData -TypeName $TypeName
        $data | Should -Not -BeNullOrEmpty
        @($data.FormatViewDefinition.Control | ForEach-Object { $_.GetType().Name }) | Should -Contain 'TableControl'
    }

    It 'shows <What> with hex addresses in a table' -TestCases @(
        @{ What = 'VmOp'; Make = { Add-VmOp Mmap 0x10004000 0x1000 r-- 0x3000 -Stub $stub }; Hex = @('0x10004000', '0x3000') }
        @{ What = 'VmOpResult'; Make = { Add-VmOp Mmap 0x10008000 0x1000 r-- 0x5000 -Stub $stub | Invoke-VmFlush }; Hex = @('0x10008000', '0x1000') }
        @{ What = 'MemoryMapping'; Make = { Get-StubMapping -Stub $stub }; Hex = @('0x10000000', '0x10001000', '0x2000') }
        @{ What = 'StubProcess'; Make = { $stub }; Hex = @(('0x{0:x}' -f $stub.StubCodeAddress)) }
        @{ What = 'MappingChange'; Make = { Compare-StubMapping @() (Get-StubMapping -Stub $stub) }; Hex = @('0x10000000', '0x10001000', '0x2000') }
    ) {
        $text = & $Make | Format-Table | Out-String -Width 300
        foreach ($h in $Hex) { $text | Should -Match ([regex]::Escape($h)) }
        Clear-VmOp -Stub $stub
    }

    It 'shows the protection of a VmOpResult as /proc/pid/maps writes it' {
        $text = Add-VmOp Mmap 0x1000c000 0x1000 r-x 0 -Stub $stub | Invoke-VmFlush | Format-Table | Out-String -Width 300
        $text | Should -Match '\br-x\b'
        $text | Should -Match 'Succeeded'
        $text | Should -Match 'Single'
    }

    It 'shows a VmFlushSummary and StubStatistics as a table with the stub name' {
        $summary = Add-VmOp Munmap 0x1000c000 0x1000 -Stub $stub | Invoke-VmFlush -Summary | Format-Table | Out-String -Width 300
        $summary | Should -Match 'Trips'
        $summary | Should -Match 'format'
        $stats = Get-StubStatistics -Stub $stub | Format-Table | Out-String -Width 300
        $stats | Should -Match 'format'
        $stats | Should -Match 'Singles'
    }
}

Describe 'Views of every output type' -Tag 'CI' {
    BeforeAll {
        # One live object of each output type.
        Add-VmOp Mmap 0x10010000 0x1000 rw- 0x4000 -Stub $stub | Out-Null
        $script:Samples = @{
            'UmlTlb.StubProcess'     = $stub
            'UmlTlb.VmOp'            = Get-VmOp -Stub $stub | Select-Object -First 1
            'UmlTlb.VmOpResult'      = Invoke-VmFlush -Stub $stub | Select-Object -First 1
            'UmlTlb.VmFlushSummary'  = Add-VmOp Munmap 0x10010000 0x1000 -Stub $stub | Invoke-VmFlush -Summary
            'UmlTlb.StubStatistics'  = Get-StubStatistics -Stub $stub
            'UmlTlb.MemoryMapping'   = Get-StubMapping -Stub $stub | Select-Object -First 1
            'UmlTlb.MappingChange'   = Compare-StubMapping @() (Get-StubMapping -Stub $stub) | Select-Object -First 1
            'UmlTlb.VmBatchMeasurement' = Measure-VmBatch -Operations 30 -BatchSize 8 -Repetitions 1
        }
        $table = New-VmPageTable -Stub $stub
        Set-VmPage $table -Address 0x10020000 -Length 0x2000 -Offset 0x0 -Protection r--
        $script:Samples['UmlTlb.VmPageTable'] = $table
        $script:Samples['UmlTlb.VmFlushPreview'] = Sync-VmRange $table -WhatIf
        $script:Samples['UmlTlb.VmRangeSyncSummary'] = Sync-VmRange $table -Summary
    }

    It 'has a table view and a list view for <TypeName>' -TestCases @(
        @{ TypeName = 'UmlTlb.StubProcess' }
        @{ TypeName = 'UmlTlb.VmOp' }
        @{ TypeName = 'UmlTlb.VmOpResult' }
        @{ TypeName = 'UmlTlb.VmFlushSummary' }
        @{ TypeName = 'UmlTlb.StubStatistics' }
        @{ TypeName = 'UmlTlb.MemoryMapping' }
        @{ TypeName = 'UmlTlb.MappingChange' }
        @{ TypeName = 'UmlTlb.VmBatchMeasurement' }
        @{ TypeName = 'UmlTlb.VmPageTable' }
        @{ TypeName = 'UmlTlb.VmFlushPreview' }
        @{ TypeName = 'UmlTlb.VmRangeSyncSummary' }
    ) {
        $controls = @((Get-FormatData -TypeName $TypeName).FormatViewDefinition.Control | ForEach-Object { $_.GetType().Name })
        $controls | Should -Contain 'TableControl'
        $controls | Should -Contain 'ListControl'
    }

    It 'heads each table column of <TypeName> with a property of the object' -TestCases @(
        @{ TypeName = 'UmlTlb.StubProcess' }
        @{ TypeName = 'UmlTlb.VmOp' }
        @{ TypeName = 'UmlTlb.VmOpResult' }
        @{ TypeName = 'UmlTlb.VmFlushSummary' }
        @{ TypeName = 'UmlTlb.StubStatistics' }
        @{ TypeName = 'UmlTlb.MemoryMapping' }
        @{ TypeName = 'UmlTlb.MappingChange' }
        @{ TypeName = 'UmlTlb.VmBatchMeasurement' }
        @{ TypeName = 'UmlTlb.VmPageTable' }
        @{ TypeName = 'UmlTlb.VmFlushPreview' }
        @{ TypeName = 'UmlTlb.VmRangeSyncSummary' }
    ) {
        $table = (Get-FormatData -TypeName $TypeName).FormatViewDefinition | Where-Object { $_.Control -is [System.Management.Automation.TableControl] }
        $headers = @($table.Control.Headers.Label)
        $sample = $script:Samples[$TypeName]
        $sample | Should -Not -BeNullOrEmpty
        $missing = @($headers | Where-Object { -not $sample.PSObject.Properties[$_] })
        $missing | Should -BeNullOrEmpty -Because "Where-Object <header> must filter on what the table shows"
    }

    It 'lets Where-Object filter on a short header: Trips means RoundTrips' {
        @(Get-StubStatistics -Stub $stub | Where-Object Trips -GE 1).Count | Should -Be 1
        $trips = (Get-StubStatistics -Stub $stub).RoundTrips
        @(Get-StubStatistics -Stub $stub | Where-Object Trips -GT $trips).Count | Should -Be 0
        @(Get-StubProcess -Id $stub.Id | Where-Object PID -EQ $stub.ProcessId).Count | Should -Be 1
    }

    It 'shows addresses of <TypeName> in hex in Format-List' -TestCases @(
        @{ TypeName = 'UmlTlb.StubProcess'; Property = 'StubCodeAddress' }
        @{ TypeName = 'UmlTlb.VmOp'; Property = 'Address' }
        @{ TypeName = 'UmlTlb.VmOpResult'; Property = 'Address' }
        @{ TypeName = 'UmlTlb.MemoryMapping'; Property = 'Start' }
        @{ TypeName = 'UmlTlb.MappingChange'; Property = 'Start' }
    ) {
        $sample = $script:Samples[$TypeName]
        $text = $sample | Format-List | Out-String -Width 80
        $text | Should -Match ("(?m)^{0}\s+: 0x{1:x}\s*$" -f $Property, $sample.$Property)
        $text | Should -Not -Match ("(?m)^{0}\s+: {1}\s*$" -f $Property, $sample.$Property)
    }

    It 'shows 64-bit addresses whole in 80 columns' {
        $table = $stub | Format-Table | Out-String -Width 80
        $table | Should -Match ([regex]::Escape('0x{0:x}' -f $stub.StubCodeAddress))
        $maps = Get-StubMapping -Stub $stub -All
        $text = $maps | Format-Table | Out-String -Width 80
        foreach ($map in $maps) {
            $text | Should -Match ([regex]::Escape('0x{0:x} ' -f $map.Start))
        }
    }
}
