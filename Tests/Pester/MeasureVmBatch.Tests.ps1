# Measure-VmBatch: the standard op mix at several batch sizes, with the native baseline of the same
# run. Checks counts, not times: round trips follow from the batch size and the data area.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = Import-UmlTlbModule
}

AfterAll {
    Stop-TestStub
}

Describe 'Measure-VmBatch' -Tag 'CI' {
    It 'writes one row per batch size, with the round trips the batch size implies' {
        $before = @(Get-StubProcess).Count
        $rows = @(Measure-VmBatch -Operations 300 -BatchSize 1, 7, 100 -Repetitions 1)
        $rows.BatchSize | Should -Be @(1, 7, 100)
        $rows.Operations | Should -Be @(300, 300, 300)
        # 300 ops flushed every B host ops: ceil(300 / B) flushes, one round trip each (the stub's data area holds B).
        $rows.RoundTrips | Should -Be @(300, 43, 3)
        foreach ($row in $rows) {
            $row.Architecture | Should -Be 'x86_64'
            $row.Transport | Should -Be 'Doorbell'
            $row.NsPerOp | Should -BeGreaterThan 0
            $row.RatioToNative | Should -BeGreaterThan 0
            $row.OperationsPerSecond | Should -Be (1e9 / $row.NsPerOp)
        }
        # The stub it started is gone again.
        @(Get-StubProcess).Count | Should -Be $before
    }

    It 'measures on a stub given with -Stub and leaves its range as it found it' {
        $stub = Start-TestStub 'measured'
        $rows = @(Measure-VmBatch -Stub $stub -Operations 30 -BatchSize 200 -Repetitions 2)
        # One flush of 30 host ops: they fit in the stub's one-page data area.
        $rows.RoundTrips | Should -Be 1
        $rows.Stub | Should -Be 'measured'
        $rows.Repetitions | Should -Be 2
        Get-UserMapCount $stub | Should -Be 0
        (Get-StubStatistics -Stub $stub).Batches | Should -Be 2
    }

    It 'refuses a stub with something mapped where the mix goes, naming the range' {
        $stub = Start-TestStub 'measured-busy'
        Add-VmOp Mmap 0x10000000 0x1000 r-- 0x0 -Stub $stub | Invoke-VmFlush | Out-Null
        $e = { Measure-VmBatch -Stub $stub -Operations 30 -BatchSize 8 -Repetitions 1 -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'MeasurementNotPossible,UmlTlb.Commands.MeasureVmBatchCommand'
        $e.Exception.Message | Should -Match '0x10000000-0x10001000 mapped'
    }

    It 'measures each transport: <Transport>' -TestCases @(
        @{ Transport = 'Ptrace' }
        @{ Transport = 'Doorbell' }
    ) {
        $rows = @(Measure-VmBatch -Transport $Transport -Operations 30 -BatchSize 1, 30 -Repetitions 1)
        $rows.Transport | Should -Be @($Transport, $Transport)
        $rows.RoundTrips | Should -Be @(30, 1)
    }
}
