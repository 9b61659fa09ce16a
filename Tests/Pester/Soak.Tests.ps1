# Load across stubs and runspaces: random (seeded) mixes of Mmap, Mprotect and Munmap,
# queued from several ForEach-Object -Parallel runspaces at once, each over a window of
# pages of its own, then checked page by page (protection and offset) against a model of
# each window kept by the runspace that queued it, straight from /proc/<stub>/maps. The
# pwsh process's RSS, open fds and threads are sampled through the run.
# Short form (tag CI): 4 stubs, 20,000 ops. Long form (tag Soak, $env:UMLTLB_SOAK = '1',
# build.ps1 Test -Soak): 8 stubs, 2,000,000 ops.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = Import-UmlTlbModule

    # VmRSS (kB), Threads and the number of open fds of this process, not counting the fds
    # of assemblies .NET has loaded (mapped once, kept for the life of the process).
    function Get-SelfSample {
        $status = Get-Content '/proc/self/status'
        # Thread names; a thread may end between the listing and the read.
        $names = foreach ($t in [System.IO.Directory]::GetDirectories('/proc/self/task')) {
            try { [System.IO.File]::ReadAllText("$t/comm").Trim() } catch { }
        }
        [pscustomobject]@{
            RssKb   = [long] ((($status -match '^VmRSS:') -split '\s+')[1])
            Threads = [int] ((($status -match '^Threads:') -split '\s+')[1])
            Fds     = @(Get-SelfFdTargets | Where-Object { $_ -notlike '*.dll' }).Count
            # Threads other than the .NET thread pool's, which keeps idle workers a while.
            OwnThreads = @($names | Where-Object { $_ -notlike '.NET TP*' }).Count
            Tracers = @($names | Where-Object { $_ -like 'UmlTlb tracer*' }).Count
        }
    }

    # What each open fd of this process points at.
    function Get-SelfFdTargets {
        foreach ($f in [System.IO.Directory]::GetFiles('/proc/self/fd')) {
            try { [System.IO.File]::ResolveLinkTarget($f, $false).FullName } catch { }
        }
    }

    # Runs $Ops ops over $StubCount stubs from 2 runspaces per stub (each over a 64-page
    # window of its own), sampling this process every 100 ms; returns the stubs' per-page
    # mismatches, the samples, the baseline and the figures. Bounded by $TimeoutSeconds.
    function Invoke-Soak([int] $StubCount, [int] $Ops, [int] $Seed, [int] $TimeoutSeconds) {
        $perStub = 2
        $workers = $StubCount * $perStub
        $windowPages = 64
        $page = 0x1000

        $worker = {
            $ErrorActionPreference = 'Stop'
            $w = $_
            Import-Module $w.ModulePath
            $pages = $w.Pages
            $pg = $w.PageSize
            $rng = [System.Random]::new($w.Seed)
            $prots = 'r--', 'rw-', 'r-x', '---', 'rwx'
            $physPages = [int] ($w.Stub.PhysicalMemorySize / $pg)
            # The model: per page of the window, its protection ($null: a hole) and offset.
            $mProt = [object[]]::new($pages)
            $mOff = [uint64[]]::new($pages)
            $failedExpected = 0
            $gen = {
                for ($i = 0; $i -lt $w.Ops; $i++) {
                    $first = $rng.Next(0, $pages)
                    $count = [Math]::Min($rng.Next(1, 9), $pages - $first)
                    $address = $w.Base + [uint64] ($first * $pg)
                    $length = [uint64] ($count * $pg)
                    $roll = $rng.Next(0, 10)
                    if ($roll -lt 4) {
                        $prot = $prots[$rng.Next(0, $prots.Count)]
                        $offPage = $rng.Next(0, $physPages - $count + 1)
                        for ($p = 0; $p -lt $count; $p++) { $mProt[$first + $p] = $prot; $mOff[$first + $p] = [uint64] (($offPage + $p) * $pg) }
                        [pscustomobject]@{ Operation = 'Mmap'; Address = $address; Length = $length; Protection = $prot; Offset = [uint64] ($offPage * $pg) }
                    }
                    elseif ($roll -lt 8) {
                        # As Linux does: the pages before the first hole change, then ENOMEM.
                        $prot = $prots[$rng.Next(0, $prots.Count)]
                        for ($p = 0; $p -lt $count; $p++) {
                            if ($null -eq $mProt[$first + $p]) { $failedExpected++; break }
                            $mProt[$first + $p] = $prot
                        }
                        [pscustomobject]@{ Operation = 'Mprotect'; Address = $address; Length = $length; Protection = $prot }
                    }
                    else {
                        for ($p = 0; $p -lt $count; $p++) { $mProt[$first + $p] = $null }
                        [pscustomobject]@{ Operation = 'Munmap'; Address = $address; Length = $length }
                    }
                }
            }
            $summary = . $gen | Add-VmOp -Stub $w.Stub | Invoke-VmFlush -ContinueOnError -Summary -ErrorAction Ignore
            [pscustomobject]@{
                Index          = $w.Index
                Base           = $w.Base
                Prot           = $mProt
                Offset         = $mOff
                FailedExpected = $failedExpected
                Summary        = $summary
            }
        }

        # A warm-up of the same shape, so that the baseline counts what the first run sets up
        # once (thread pool threads, assemblies loaded, module imported in runspaces).
        $warm = Start-StubProcess -Name "soak-warm-$Seed"
        $warmWork = @(0..1 | ForEach-Object { [pscustomobject]@{ Index = $_; Stub = $warm; Base = [uint64] (0x10000000 + $_ * 0x1000000); Ops = 500; Seed = $_; Pages = $windowPages; PageSize = $page; ModulePath = $ModulePath } })
        $warmJob = $warmWork | ForEach-Object -ThrottleLimit 2 -AsJob -Parallel $worker
        $warmJob | Wait-Job -Timeout 60 | Out-Null
        $warmJob | Remove-Job -Force
        Stop-StubProcess $warm
        [GC]::Collect(); [GC]::WaitForPendingFinalizers()
        $baseline = Get-SelfSample
        $baselineFds = @(Get-SelfFdTargets | Where-Object { $_ -notlike '*.dll' })

        $stubs = @(1..$StubCount | ForEach-Object { Start-StubProcess -Name "soak-$Seed-$_" })
        $stubs | Register-TestStub
        $withStubs = Get-SelfSample
        $work = @(0..($workers - 1) | ForEach-Object {
                [pscustomobject]@{
                    Index = $_
                    Stub  = $stubs[$_ % $StubCount]
                    Base  = [uint64] (0x10000000 + $_ * 0x1000000)
                    Ops   = [int] ($Ops / $workers)
                    Seed  = $Seed * 1000 + $_
                    Pages = $windowPages
                    PageSize = $page
                    ModulePath = $ModulePath
                }
            })
        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        $job = $work | ForEach-Object -ThrottleLimit $workers -AsJob -Parallel $worker
        $samples = [System.Collections.Generic.List[object]]::new()
        while ($job.State -in 'NotStarted', 'Running' -and $sw.Elapsed.TotalSeconds -lt $TimeoutSeconds) {
            $samples.Add((Get-SelfSample))
            Start-Sleep -Milliseconds 100
        }
        $elapsed = $sw.Elapsed
        $finished = $job.State -eq 'Completed'
        if (-not $finished) { $job | Stop-Job }
        $results = @($job | Receive-Job -ErrorAction Continue)
        $job | Remove-Job -Force
        $peak = Get-SelfSample
        $samples.Add($peak)

        # Compare each window page by page with /proc/<stub>/maps.
        $mismatches = [System.Collections.Generic.List[string]]::new()
        foreach ($r in $results) {
            $stub = $work[$r.Index].Stub
            $actualProt = [object[]]::new($windowPages)
            $actualOff = [uint64[]]::new($windowPages)
            $end = $r.Base + [uint64] ($windowPages * $page)
            foreach ($m in Get-UserMaps $stub) {
                if ($m.End -le $r.Base -or $m.Start -ge $end) { continue }
                for ($a = [Math]::Max($m.Start, $r.Base); $a -lt [Math]::Min($m.End, $end); $a += $page) {
                    $i = [int] (($a - $r.Base) / $page)
                    $actualProt[$i] = $m.Perms
                    $actualOff[$i] = $m.Offset + ($a - $m.Start)
                }
            }
            for ($i = 0; $i -lt $windowPages; $i++) {
                $want = if ($null -eq $r.Prot[$i]) { '(hole)' } else { "$($r.Prot[$i])s @0x{0:x}" -f $r.Offset[$i] }
                $got = if ($null -eq $actualProt[$i]) { '(hole)' } else { "$($actualProt[$i]) @0x{0:x}" -f $actualOff[$i] }
                if ($want -ne $got) { $mismatches.Add(('worker {0} page 0x{1:x}: model {2}, maps {3}' -f $r.Index, ($r.Base + [uint64] ($i * $page)), $want, $got)) }
            }
        }
        # Nothing mapped between the windows.
        foreach ($stub in $stubs) {
            $low = [uint64] 0x10000000; $high = [uint64] (0x10000000 + $workers * 0x1000000)
            foreach ($m in Get-UserMaps $stub) {
                if ($m.End -le $low -or $m.Start -ge $high) { continue }
                $w = [int] [Math]::Floor(($m.Start - $low) / 0x1000000)
                if ($work[$w].Stub -ne $stub -or $m.End -gt $work[$w].Base + [uint64] ($windowPages * $page)) {
                    $mismatches.Add(('stub {0}: a mapping outside its windows at 0x{1:x}-0x{2:x}' -f $stub.Name, $m.Start, $m.End))
                }
            }
        }

        $states = @($stubs | ForEach-Object { "$($_.State)" })
        Stop-TestStub
        [GC]::Collect(); [GC]::WaitForPendingFinalizers()
        # Idle thread-pool threads retire after a while; give them a few seconds.
        $after = Get-SelfSample
        $sw2 = [System.Diagnostics.Stopwatch]::StartNew()
        while (($after.OwnThreads -gt $baseline.OwnThreads -or $after.Fds -gt $baseline.Fds + 2) -and $sw2.Elapsed.TotalSeconds -lt 10) {
            Start-Sleep -Milliseconds 250
            $after = Get-SelfSample
        }

        $newFds = @(Compare-Object $baselineFds @(Get-SelfFdTargets | Where-Object { $_ -notlike '*.dll' }) | ForEach-Object { "$($_.SideIndicator) $($_.InputObject)" })
        [pscustomobject]@{
            NewFds       = $newFds
            Finished     = $finished
            Elapsed      = $elapsed
            Results      = $results
            Workers      = $workers
            Mismatches   = $mismatches
            States       = $states
            Baseline     = $baseline
            WithStubs    = $withStubs
            Samples      = $samples
            After        = $after
            MaxRssKb     = ($samples | Measure-Object RssKb -Maximum).Maximum
            MaxFds       = ($samples | Measure-Object Fds -Maximum).Maximum
            MaxThreads   = ($samples | Measure-Object Threads -Maximum).Maximum
            OpsSent      = ($results | ForEach-Object { $_.Summary } | Measure-Object Operations -Sum).Sum
            Skipped      = ($results | ForEach-Object { $_.Summary } | Measure-Object Skipped -Sum).Sum
            FailedOps    = ($results | ForEach-Object { $_.Summary } | Measure-Object Failed -Sum).Sum
            FailedModel  = ($results | Measure-Object FailedExpected -Sum).Sum
        }
    }

    function Write-SoakFigures($Run, [string] $Label) {
        $s = $Run.Samples
        $q = [int] [Math]::Max(1, $s.Count / 4)
        Write-Host ("[{0}] {1} workers, {2:N0} ops in {3:N1} s; RSS {4} MB at baseline, peak {5} MB (first quarter peak {6} MB, last quarter peak {7} MB), {8} MB after; fds {9} / {10} with stubs / peak {11} / {12} after; threads {13} / {14} with stubs / peak {15} / {16} after; {17} samples" -f `
                $Label, $Run.Workers, $Run.OpsSent, $Run.Elapsed.TotalSeconds,
            [int] ($Run.Baseline.RssKb / 1024), [int] ($Run.MaxRssKb / 1024),
            [int] (($s | Select-Object -First $q | Measure-Object RssKb -Maximum).Maximum / 1024),
            [int] (($s | Select-Object -Last $q | Measure-Object RssKb -Maximum).Maximum / 1024),
            [int] ($Run.After.RssKb / 1024),
            $Run.Baseline.Fds, $Run.WithStubs.Fds, $Run.MaxFds, $Run.After.Fds,
            $Run.Baseline.Threads, $Run.WithStubs.Threads, $Run.MaxThreads, $Run.After.Threads, $s.Count)
        Write-Host ("[{0}] threads besides the thread pool's: {1} at baseline, {2} after; tracer threads after: {3}" -f $Label, $Run.Baseline.OwnThreads, $Run.After.OwnThreads, $Run.After.Tracers)
        Write-Host ("[{0}] host-op failures {1} (model: {2} failing mprotects)" -f $Label, $Run.FailedOps, $Run.FailedModel)
        if ($Run.NewFds) { Write-Host "[$Label] fds not open at baseline: $($Run.NewFds -join '; ')" }
    }

    function Assert-Soak($Run, [int] $StubCount, [int] $Ops, [double] $RssBoundMb) {
        $Run.Finished | Should -BeTrue -Because 'the run must end within its time bound'
        $Run.Results | Should -HaveCount $Run.Workers
        $Run.States | Should -Not -Contain 'Faulted'
        # Every op reached its stub: the summaries count them all (merged ones included);
        # failed mprotects are what the model expects to fail.
        $Run.OpsSent | Should -Be $Ops
        $Run.Skipped | Should -Be 0
        $Run.FailedOps | Should -BeGreaterThan 0
        $Run.FailedOps | Should -BeLessOrEqual $Run.FailedModel
        @($Run.Mismatches | Select-Object -First 10) | Should -BeNullOrEmpty
        # Flat: fds and threads back to baseline once the stubs stop; during the run at
        # most a few per stub; RSS growth bounded.
        $Run.After.Fds | Should -BeLessOrEqual ($Run.Baseline.Fds + 2)
        $Run.After.Tracers | Should -Be 0
        $Run.After.OwnThreads | Should -BeLessOrEqual ($Run.Baseline.OwnThreads + 1)
        $Run.After.Threads | Should -BeLessOrEqual ($Run.Baseline.Threads + 8)
        $Run.MaxFds | Should -BeLessOrEqual ($Run.WithStubs.Fds + 4)
        $Run.MaxThreads | Should -BeLessOrEqual ($Run.WithStubs.Threads + $Run.Workers + 16)
        ($Run.MaxRssKb - $Run.Baseline.RssKb) / 1024 | Should -BeLessThan $RssBoundMb
    }
}

AfterAll {
    Stop-TestStub -IncludeRegistered
}

Describe 'Soak: random op mixes across stubs and runspaces' {
    It 'runs 20,000 ops over 4 stubs from 8 runspaces as the model says, with flat RSS, fds and threads' -Tag 'CI' {
        $run = Invoke-Soak -StubCount 4 -Ops 20000 -Seed 8 -TimeoutSeconds 60
        Write-SoakFigures $run 'short'
        Assert-Soak $run 4 20000 300
    }

    It 'runs 2,000,000 ops over 8 stubs from 16 runspaces as the model says, with flat RSS, fds and threads' -Tag 'Soak' -Skip:($env:UMLTLB_SOAK -ne '1') {
        $run = Invoke-Soak -StubCount 8 -Ops 2000000 -Seed 5 -TimeoutSeconds 1800
        Write-SoakFigures $run 'long'
        Assert-Soak $run 8 2000000 600
        # Flat through the run: the last quarter's RSS peak is not far above the first's.
        $q = [int] [Math]::Max(1, $run.Samples.Count / 4)
        $first = ($run.Samples | Select-Object -First $q | Measure-Object RssKb -Maximum).Maximum
        $last = ($run.Samples | Select-Object -Last $q | Measure-Object RssKb -Maximum).Maximum
        ($last - $first) / 1024 | Should -BeLessThan 150
    }
}
