# Invoke-VmFlush -Path / -LiteralPath: the engine reads files of ops itself. Bad rows are
# errors naming file, line, field and value while the rows around them run; wildcards,
# several files, -Summary, strace replay on both architectures, Ctrl+C, and bounded memory
# for a million rows. Outcomes are checked in /proc/<pid>/maps.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = Import-UmlTlbModule
    $script:Dir = Join-Path ([IO.Path]::GetTempPath()) "umltlb-files-$([guid]::NewGuid().ToString('N'))"
    $null = New-Item -ItemType Directory $Dir
    $script:Trace = Join-Path $PSScriptRoot '../Traces/python3-start.strace'

    # Rows of n one-page mmaps two pages apart at Base, with offsets that never follow on (no merging).
    function New-MmapCsv([string] $Name, [int] $Count, [uint64] $Base = 0x10000000) {
        $path = Join-Path $Dir $Name
        # awk: a PowerShell loop would take minutes for a million rows.
        & awk -v n=$Count -v base=$Base 'BEGIN { print "Operation,Address,Length,Protection,Offset"; for (i = 0; i < n; i++) printf "Mmap,0x%x,0x1000,rw-,0x%x\n", base + i * 8192, (i % 3) * 8192 }' > $path
        $path
    }

    function Get-RssBytes {
        [long] ((Get-Content /proc/self/status | Where-Object { $_ -like 'VmRSS:*' }) -replace '\D', '') * 1KB
    }
}

AfterAll {
    Stop-TestStub
    Remove-Item $Dir -Recurse -Force -ErrorAction Ignore
}

Describe 'Invoke-VmFlush -Path (CSV)' -Tag 'CI' {
    BeforeAll {
        $script:stub = Start-TestStub 'files'
    }

    BeforeEach {
        Reset-Stub $stub 0x20000000
    }

    It 'runs the good rows and reports each bad row as an error naming file, line, field and value' {
        $csv = Join-Path $Dir 'mixed.csv'
        @(
            'Operation,Address,Length,Protection,Offset'
            'Mmap,0x10000000,0x1000,rw-,0x1000'
            'Mmap,0x10001000,0x1000,rw-,0x2000'
            'Mmap,0x1000x,0x1000,rw-,0'
            '"Mmap,Munmap",0x10004000,0x1000,r--,0'
            'Mprotect,0x10000000,0x1000,r--,'
            'Mmap,0x10008001,0x1000,r--,0'
            'Munmap,0x10001000,0x1000,,'
        ) | Set-Content $csv
        $errors = $null
        $r = @(Invoke-VmFlush -Path $csv -Stub $stub -ErrorVariable errors -ErrorAction SilentlyContinue)

        $errors | Should -HaveCount 3
        $errors.TargetObject.Line | Should -Be @(4, 5, 7)
        $errors.TargetObject.Field | Should -Be @('Address', 'Operation', 'Address')
        $errors.TargetObject.Value | Should -Be @('0x1000x', 'Mmap,Munmap', '0x10008001')
        $errors.FullyQualifiedErrorId | Should -Be @('NotANumber,UmlTlb.Commands.InvokeVmFlushCommand', 'UnknownOperation,UmlTlb.Commands.InvokeVmFlushCommand', 'AddressNotAligned,UmlTlb.Commands.InvokeVmFlushCommand')
        $errors[0].Exception.Message | Should -BeLike "$csv, line 4, Address '0x1000x': '0x1000x' is not an unsigned 64-bit number*"
        $r.Line | Should -Be @(2, 6, 8)
        $r.Source | Should -Be @($csv, $csv, $csv)
        $r[0].MergedCount | Should -Be 2
        $maps = @(Get-UserMaps $stub)
        $maps | Should -HaveCount 1
        $maps[0].Start | Should -Be 0x10000000
        $maps[0].Perms | Should -Be 'r--s'
        $maps[0].Offset | Should -Be 0x1000
    }

    It 'never reads a blank Address, Length or Mmap Offset as 0, as Add-VmOp does not' {
        $csv = Join-Path $Dir 'blanks.csv'
        @(
            'Operation,Address,Length,Protection,Offset'
            'Mmap,,0x1000,rw-,0x1000'
            'Mmap,0x10000000,,rw-,0x1000'
            'Mmap,0x10000000,0x1000,rw-,'
            'Mprotect,0x10000000,0x1000,r--,'
            'Mmap,0x10000000,0x1000,rw-,0x3000'
        ) | Set-Content $csv
        $errors = $null
        $r = @(Invoke-VmFlush -Path $csv -Stub $stub -ContinueOnError -ErrorVariable errors -ErrorAction SilentlyContinue)

        $fileErrors = @($errors | Where-Object FullyQualifiedErrorId -Like 'VmOpFieldMissing,*')
        $fileErrors.TargetObject.Line | Should -Be @(2, 3, 4)
        $fileErrors.TargetObject.Field | Should -Be @('Address', 'Length', 'Offset')
        $fileErrors[0].Exception.Message | Should -BeLike "$csv, line 2, Address '': No -Address given*"
        $fileErrors[2].Exception.Message | Should -BeLike "*-Offset is `$null or empty: an Mmap needs*"
        # Only the last two rows ran: nothing was ever mapped at address 0 or with offset 0.
        $r.Line | Should -Be @(5, 6)
        $maps = @(Get-UserMaps $stub)
        $maps | Should -HaveCount 1
        $maps[0].Start | Should -Be 0x10000000
        $maps[0].Offset | Should -Be 0x3000
    }

    It 'gives the same message for a bad value as Add-VmOp does' {
        $csv = Join-Path $Dir 'prot.csv'
        "Operation,Address,Length,Protection,Offset`nMmap,0x10000000,0x1000,rwz,0" | Set-Content $csv
        $fromFile = $null; $fromCmdlet = $null
        Invoke-VmFlush -Path $csv -Stub $stub -ErrorVariable fromFile -ErrorAction SilentlyContinue
        Add-VmOp Mmap 0x10000000 0x1000 rwz 0 -Stub $stub -ErrorVariable fromCmdlet -ErrorAction SilentlyContinue
        $fromFile[0].Exception.Message | Should -BeLike "*: $($fromCmdlet[0].Exception.Message)"
    }

    It 'takes wildcards with -Path and runs the files in order; -LiteralPath takes the name as written' {
        $a = Join-Path $Dir 'w1.csv'; $b = Join-Path $Dir 'w2.csv'; $literal = Join-Path $Dir 'w[3].csv'
        "Operation,Address,Length,Protection,Offset`nMmap,0x10000000,0x1000,r--,0" | Set-Content $a
        "Operation,Address,Length,Protection,Offset`nMunmap,0x10000000,0x1000,,`nMmap,0x10002000,0x1000,r--,0" | Set-Content $b
        "Operation,Address,Length,Protection,Offset`nMmap,0x10004000,0x1000,rw-,0" | Set-Content -LiteralPath $literal

        $r = @(Invoke-VmFlush -Path (Join-Path $Dir 'w?.csv') -Stub $stub)
        $r.Source | Should -Be @($a, $b, $b)
        $r.Line | Should -Be @(2, 2, 3)
        @(Get-UserMaps $stub).Start | Should -Be @(0x10002000)

        $r = @(Invoke-VmFlush -LiteralPath $literal -Stub $stub)
        $r.Source | Should -Be @($literal)
        $errors = $null
        Invoke-VmFlush -Path $literal -Stub $stub -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'PathNotFound,*'
        @(Get-UserMaps $stub).Start | Should -Be @(0x10002000, 0x10004000)
    }

    It 'says which file is missing and which parameter cannot go with CSV' {
        { Invoke-VmFlush -LiteralPath (Join-Path $Dir 'none.csv') -Stub $stub -ErrorAction Stop } |
            Should -Throw -ErrorId 'LiteralPathNotFound,UmlTlb.Commands.InvokeVmFlushCommand'
        { Invoke-VmFlush -Path (Join-Path $Dir 'w1.csv') -ProcessId 5 -Stub $stub } |
            Should -Throw -ErrorId 'ProcessIdNeedsStrace,UmlTlb.Commands.InvokeVmFlushCommand'
    }

    It 'stops at the first failing op, as a piped flush does, and goes on with -ContinueOnError' {
        $csv = Join-Path $Dir 'fails.csv'
        "Operation,Address,Length,Protection,Offset`nMmap,0x10000000,0x1000,r--,0`nMprotect,0x10008000,0x1000,r--,`nMmap,0x10002000,0x1000,r--,0" | Set-Content $csv
        $r = @(Invoke-VmFlush -Path $csv -Stub $stub -ErrorAction SilentlyContinue)
        $r.Status | Should -Be @('Succeeded', 'Failed', 'Skipped')
        Reset-Stub $stub 0x20000000
        $r = @(Invoke-VmFlush -Path $csv -Stub $stub -ContinueOnError -ErrorAction SilentlyContinue)
        $r.Status | Should -Be @('Succeeded', 'Failed', 'Succeeded')
        @(Get-UserMaps $stub) | Should -HaveCount 2
    }

    It 'writes one summary with -Summary: merged ops, round trips against one per op, average batch length' {
        $csv = New-MmapCsv 'summary.csv' 1000
        $s = Invoke-VmFlush -Path $csv -Stub $stub -Summary
        $s | Should -HaveCount 1
        $s.Operations | Should -Be 1000
        $s.OnePerOpRoundTrips | Should -Be 1000
        $s.RoundTrips | Should -Be ([math]::Ceiling(1000 / $stub.BatchCapacity))
        $s.AverageBatchLength | Should -Be (1000 / $s.RoundTrips)
        $s.Source | Should -Be $csv
        @(Get-UserMaps $stub) | Should -HaveCount 1000
    }

    It 'stops within a bound on Ctrl+C (StopProcessing): what ran is what was reported, and at most the data area in flight' {
        $csv = New-MmapCsv 'stop.csv' 20000
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$ModulePath'; Invoke-VmFlush -Path '$csv' -Stub $($stub.Id)")
            $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
            $null = $ps.BeginInvoke([System.Management.Automation.PSDataCollection[psobject]]::new(), $output)
            Wait-Condition { $output.Count -ge 500 } 60000 | Should -BeTrue
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $stopping = $ps.BeginStop($null, $null)
            $stopping.AsyncWaitHandle.WaitOne(30000) | Should -BeTrue
            Write-Host "    stopped $([math]::Round($clock.Elapsed.TotalMilliseconds)) ms after the request, $($output.Count) results"
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $reported = @($output)
        }
        finally {
            $ps.Dispose()
        }
        $reported.Count | Should -BeLessThan 20000
        $stub.PendingOperations | Should -Be 0
        # Rows ran in file order: the reported ones are the first rows, and what /proc shows is
        # those plus at most the data area that was running when the stop came (PowerShell takes
        # no more output once it stops a pipeline).
        $reported.Line | Should -Be (2..($reported.Count + 1))
        # Thousands of lines: read them plainly (Get-UserMaps builds an object per line).
        $starts = foreach ($line in [IO.File]::ReadAllLines("/proc/$($stub.ProcessId)/maps")) {
            $start = [Convert]::ToUInt64($line.Substring(0, $line.IndexOf('-')), 16)
            if ($start -lt 0x20000000) { $start }
        }
        $starts = @($starts | Sort-Object)
        $starts.Count | Should -BeGreaterOrEqual $reported.Count
        $starts.Count | Should -BeLessOrEqual ($reported.Count + $stub.BatchCapacity)
        $starts | Should -Be @(0..($starts.Count - 1) | ForEach-Object { 0x10000000 + $_ * 8192 })
    }

    It 'flushes a million rows with -Summary while the pwsh process grows by less than 50 MB' {
        # 4096 pages mapped over and over (rows that follow on merge): the reader, the checks and
        # the queue see a million rows; the bench times a million unmerged ones.
        $csv = Join-Path $Dir 'million.csv'
        & awk -v n=1000000 'BEGIN { print "Operation,Address,Length,Protection,Offset"; for (i = 0; i < n; i++) printf "Mmap,0x%x,0x1000,rw-,0x%x\n", 268435456 + (i % 4096) * 4096, (i % 4096) * 4096 }' > $csv
        [GC]::Collect()
        $before = Get-RssBytes
        $s = Invoke-VmFlush -Path $csv -Stub $stub -Summary
        $growth = (Get-RssBytes) - $before
        Write-Host "    1,000,000 rows: RSS grew by $([math]::Round($growth / 1MB, 1)) MB; $($s.RoundTrips) round trips"
        $s.Operations | Should -Be 1000000
        $s.Failed | Should -Be 0
        $growth | Should -BeLessThan 50MB
        $s.HostOperations | Should -Be ([math]::Ceiling(1000000 / 4096))
        @(Get-UserMaps $stub).Count | Should -BeGreaterThan 0
    }
}

Describe 'Invoke-VmFlush -Format Strace on <Architecture>' -Tag 'CI' -ForEach @(
    @{ Architecture = 'x86_64' }
    @{ Architecture = 'i386' }
) {
    BeforeAll {
        $script:Unsupported = $null -ne (Get-ArchitectureSkipReason $Architecture)
        $script:traceStub = $null
        if (-not $Unsupported) {
            $script:traceStub = Start-StubProcess -Architecture $Architecture -Name "trace-$Architecture" -PhysicalMemorySize 64MB
            $traceStub | Register-TestStub
        }
    }

    It 'replays the shipped python3 trace: ops that fit run, the rest are left out and counted' {
        if ($Unsupported) { Set-ItResult -Skipped -Because (Get-ArchitectureSkipReason $Architecture); return }
        $all = @(Invoke-VmFlush -Path $Trace -Format Strace -Stub $traceStub -Summary -ContinueOnError -ErrorAction SilentlyContinue -Verbose 4>&1)
        $s = $all | Where-Object { $_ -is [UmlTlb.VmFlushSummary] }
        $leftOut = @($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like '*left out:*' })
        $s.LeftOut | Should -Be $leftOut.Count
        $s.Operations | Should -BeGreaterThan 10
        $s.RoundTrips | Should -BeLessThan $s.OnePerOpRoundTrips
        $s.Merged | Should -Be ($s.Operations - $s.HostOperations)
        if ($Architecture -eq 'i386') {
            # Only the program break's heap and the program's own pages lie below 4 GiB.
            $s.LeftOut | Should -BeGreaterThan 100
            $leftOut[0].Message | Should -BeLike '*reaches the stub''s UserAddressLimit*'
        }
        else {
            $s.LeftOut | Should -Be 2
        }
        @(Get-UserMaps $traceStub).Count | Should -BeGreaterThan 0
    }

    It 'replays another process of the trace with -ProcessId, and says when the pid is not in it' {
        if ($Unsupported) { Set-ItResult -Skipped -Because (Get-ArchitectureSkipReason $Architecture); return }
        $child = [int] ((Get-Content $Trace | Select-String '^(\d+) execve\("/bin/true"').Matches[0].Groups[1].Value)
        $s = Invoke-VmFlush -Path $Trace -Format Strace -ProcessId $child -Stub $traceStub -Summary -ContinueOnError -ErrorAction SilentlyContinue
        $s.Operations + $s.LeftOut | Should -BeGreaterThan 5
        $errors = $null
        Invoke-VmFlush -Path $Trace -Format Strace -ProcessId 1 -Stub $traceStub -Summary -ErrorVariable errors -ErrorAction SilentlyContinue | Out-Null
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'UnknownProcessId,*'
        $errors[0].Exception.Message | Should -BeLike '*No process with pid 1 appears in the trace*'
    }
}
