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
        $data.FormatViewDefinition.Control.GetType().Name | Should -Contain 'TableControl'
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
