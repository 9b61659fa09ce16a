# The benchmark still runs: a quick pass of the bench program and of the cmdlet script,
# checked through the CSV they write. Speed itself is never asserted here.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = Get-UmlTlbModulePath
    $script:Root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $script:Csv = Join-Path ([IO.Path]::GetTempPath()) "umltlb-bench-smoke-$PID.csv"
    Remove-Item $Csv -ErrorAction SilentlyContinue
}

AfterAll {
    Remove-Item $Csv -ErrorAction SilentlyContinue
}

Describe 'build.ps1 Bench, quick form' -Tag 'CI' {
    It 'measures native rows and both transports into one CSV run' {
        $dotnet = (Get-Command dotnet -CommandType Application | Select-Object -First 1).Source
        & $dotnet run -c Release --project (Join-Path $Root 'Bench/UmlTlb.Bench.csproj') -- --quick --ways native,batch,doorbell --csv $Csv --run-id smoke *> $null
        $LASTEXITCODE | Should -Be 0
        $rows = @(Import-Csv $Csv | Where-Object RunId -eq 'smoke')
        @($rows | Where-Object Way -eq 'native') | Should -HaveCount 1
        @($rows | Where-Object { $_.Way -eq 'batch' -and $_.Architecture -eq 'x86_64' -and $_.Transport -eq 'Ptrace' }).Count | Should -BeGreaterThan 3
        @($rows | Where-Object { $_.Way -in 'batch', 'single' -and $_.Architecture -eq 'x86_64' -and $_.Transport -eq 'Doorbell' }).Count | Should -Be 6
        $rows | Where-Object { $_.Way -in 'native', 'batch', 'single' -and $_.Architecture -eq 'x86_64' } | ForEach-Object { [double]$_.NsPerOp | Should -BeGreaterThan 0 }
    }

    It 'measures the batch path with and without the shadow, and Sync-VmRange against the queue' {
        $dotnet = (Get-Command dotnet -CommandType Application | Select-Object -First 1).Source
        & $dotnet run -c Release --project (Join-Path $Root 'Bench/UmlTlb.Bench.csproj') -- --quick --ways shadow,sync --csv $Csv --run-id smoke-shadow *> $null
        $LASTEXITCODE | Should -Be 0
        $rows = @(Import-Csv $Csv | Where-Object RunId -eq 'smoke-shadow')
        ($rows.Way | Sort-Object) | Should -Be @('batch-noshadow', 'batch-shadow', 'sync', 'sync-queue')
        $rows | ForEach-Object { [double]$_.NsPerOp | Should -BeGreaterThan 0 }
    }

    It 'adds the cmdlet pipeline rows to the same run' {
        $pwsh = Join-Path $PSHOME 'pwsh.dll'
        $dotnet = (Get-Command dotnet -CommandType Application | Select-Object -First 1).Source
        & $dotnet $pwsh -NoProfile -NonInteractive -File (Join-Path $Root 'Bench/cmdlet-bench.ps1') -Csv $Csv -RunId smoke -ModulePath $ModulePath -N 64 -Repetitions 1 *> $null
        $LASTEXITCODE | Should -Be 0
        $cmdlet = @(Import-Csv $Csv | Where-Object { $_.RunId -eq 'smoke' -and $_.Way -eq 'cmdlet' })
        $cmdlet | Should -HaveCount 4
        $cmdlet | ForEach-Object { [double]$_.RatioToNative | Should -BeGreaterThan 0 }
        ($cmdlet.Transport | Sort-Object -Unique) | Should -Be @('Doorbell', 'Ptrace')
    }

    It 'adds the file rows: parsing, the engine and the cmdlet on a CSV, the shipped trace, the pipeline and its floor' {
        $dotnet = (Get-Command dotnet -CommandType Application | Select-Object -First 1).Source
        & $dotnet run -c Release --no-build --project (Join-Path $Root 'Bench/UmlTlb.Bench.csproj') -- --quick --n 64 --ways file --csv $Csv --run-id smoke *> $null
        $LASTEXITCODE | Should -Be 0
        & $dotnet (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -File (Join-Path $Root 'Bench/file-bench.ps1') -Csv $Csv -RunId smoke -ModulePath $ModulePath -N 64 -Repetitions 1 -FileOps 2000 *> $null
        $LASTEXITCODE | Should -Be 0
        $rows = @(Import-Csv $Csv | Where-Object RunId -eq 'smoke')
        foreach ($way in 'csv-parse', 'file-engine', 'trace', 'file', 'pipeline', 'floor') {
            $row = @($rows | Where-Object Way -eq $way)
            $row | Should -HaveCount 1 -Because $way
            [double]$row[0].NsPerOp | Should -BeGreaterThan 0 -Because $way
        }
        ($rows | Where-Object Way -eq 'trace').Note | Should -BeLike '*round trips against * one per op*'
        ($rows | Where-Object Way -eq 'file').Note | Should -BeLike '*RSS growth*'
    }

    It 'reports the table and the targets of that run from the CSV' {
        $dotnet = (Get-Command dotnet -CommandType Application | Select-Object -First 1).Source
        $report = & $dotnet run -c Release --no-build --project (Join-Path $Root 'Bench/UmlTlb.Bench.csproj') -- --report $Csv --run-id smoke
        $LASTEXITCODE | Should -Be 0
        # The cmdlet rows come from the PowerShell script, so their presence shows the CSV was read back.
        @($report | Where-Object { $_ -match '^cmdlet\s+(Ptrace|Doorbell)\s+x86_64' }) | Should -HaveCount 4
        $report | Should -Contain 'Targets, all from run smoke:'
        @($report | Where-Object { $_ -match 'Import-Csv\|Add-VmOp\|Invoke-VmFlush / floor\s+\d' }) | Should -HaveCount 1
    }
}
