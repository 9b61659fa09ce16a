# Shared set-up and helpers of the Pester suite. Each *.Tests.ps1 imports it by path
# in its BeforeAll, then the module under test:
#   Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
#   $script:ModulePath = Import-UmlTlbModule

# The module under test: $env:UMLTLB_MODULE_PATH (build.ps1 Test sets it), else
# <repo>/out/UmlTlb; resolved to a full path (runspaces started by the tests import it too).
function Get-UmlTlbModulePath {
    $path = if ($env:UMLTLB_MODULE_PATH) { $env:UMLTLB_MODULE_PATH } else { Join-Path $PSScriptRoot '../../out/UmlTlb' }
    (Resolve-Path $path).Path
}

# Imports the module under test for the whole session (the helpers below call its
# cmdlets too) and returns its path, for runspaces the tests start themselves.
function Import-UmlTlbModule {
    $path = Get-UmlTlbModulePath
    Import-Module $path -Global -ErrorAction Stop
    $path
}

# Why this kernel cannot run stubs of the architecture (e.g. no IA32 emulation for
# i386), or $null when it can. Probed once per session by starting a stub; tests of
# that architecture then report themselves as skipped with the reason.
$script:ArchitectureSkipReasons = @{}
function Get-ArchitectureSkipReason([string] $Architecture) {
    if (-not $script:ArchitectureSkipReasons.ContainsKey($Architecture)) {
        $reason = $null
        try {
            Start-StubProcess -Architecture $Architecture -Name "probe-$Architecture-$([guid]::NewGuid().ToString('N'))" -PhysicalMemorySize 4096 |
                Stop-StubProcess
        }
        catch {
            if ($_.FullyQualifiedErrorId -notlike 'StubArchitectureNotSupported,*') { throw }
            $reason = $_.Exception.Message
        }
        $script:ArchitectureSkipReasons[$Architecture] = $reason
    }
    $script:ArchitectureSkipReasons[$Architecture]
}

# --- /proc/<pid>/maps -----------------------------------------------------------

# One object per line of /proc/<pid>/maps.
function Get-ProcMaps([int] $ProcessId) {
    foreach ($line in Get-Content "/proc/$ProcessId/maps") {
        $f = $line -split '\s+', 6
        $range = $f[0] -split '-'
        [pscustomobject]@{
            Start  = [Convert]::ToUInt64($range[0], 16)
            End    = [Convert]::ToUInt64($range[1], 16)
            Perms  = $f[1]
            Offset = [Convert]::ToUInt64($f[2], 16)
            Path   = if ($f.Count -gt 5) { $f[5].Trim() } else { '' }
        }
    }
}

# The maps line that covers the address, or nothing.
function Get-MapAt([int] $ProcessId, [uint64] $Address) {
    Get-ProcMaps $ProcessId | Where-Object { $_.Start -le $Address -and $Address -lt $_.End }
}

# Mappings below the stub pages, straight from /proc.
function Get-UserMaps($Stub) {
    Get-ProcMaps $Stub.ProcessId | Where-Object { $_.Start -lt $Stub.UserAddressLimit }
}

function Get-UserMapCount($Stub) {
    @(Get-UserMaps $Stub).Count
}

# --- /proc/<pid>/status ---------------------------------------------------------

# The value of one "Key:<tab>value" line, trimmed.
function Get-ProcStatusValue([int] $ProcessId, [string] $Key) {
    $line = Get-Content "/proc/$ProcessId/status" | Where-Object { $_ -like "${Key}:*" }
    ($line -split ':\s*', 2)[1].Trim()
}

function Get-TracerPid([int] $ProcessId) {
    [int] (Get-ProcStatusValue $ProcessId 'TracerPid')
}

function Get-VoluntarySwitches([int] $ProcessId) {
    [long] (Get-ProcStatusValue $ProcessId 'voluntary_ctxt_switches')
}

# --- waiting and signals --------------------------------------------------------

# Polls until the condition holds or the time is up; returns the condition's last value.
function Wait-Condition([scriptblock] $Condition, [int] $TimeoutMilliseconds = 5000) {
    $sw = [System.Diagnostics.Stopwatch]::StartNew()
    while (-not (& $Condition) -and $sw.ElapsedMilliseconds -lt $TimeoutMilliseconds) {
        Start-Sleep -Milliseconds 10
    }
    [bool](& $Condition)
}

# Waits up to $Seconds for /proc/<pid> to disappear; true when it did.
function Wait-ProcessGone([int] $ProcessId, [double] $Seconds = 5) {
    Wait-Condition { -not (Test-Path "/proc/$ProcessId") } ([int] ($Seconds * 1000))
}

function Send-SigKill([int] $ProcessId) {
    $kill = Get-Command kill -CommandType Application | Select-Object -First 1
    & $kill.Source -KILL $ProcessId
}

# --- stubs ----------------------------------------------------------------------

# The stubs a test file started; Stop-TestStub (in its AfterAll) stops them.
$script:Started = [System.Collections.Generic.List[object]]::new()

# Starts a stub with the given name (suffixed with the transport when it is not Ptrace,
# so that a file's transport loop gets distinct names) and records it for Stop-TestStub.
# Ptrace unless told: the module's default (Doorbell) is what tests get from Start-StubProcess.
function Start-TestStub([string] $Name, [string] $Transport = 'Ptrace') {
    if ($Transport -ne 'Ptrace') { $Name = "$Name-$($Transport.ToLowerInvariant())" }
    $stub = Start-StubProcess -Name $Name -Transport $Transport
    $script:Started.Add($stub)
    $stub
}

# A Doorbell stub may spin a little after a flush before it sleeps on its futex (and counts
# a voluntary context switch): waits until it sleeps. A Ptrace stub already sits in its stop.
function Wait-StubAsleep($Stub) {
    if ("$($Stub.Transport)" -eq 'Doorbell') {
        Wait-Condition { (Get-Content "/proc/$($Stub.ProcessId)/wchan" -Raw -ErrorAction Ignore) -like '*futex*' } | Out-Null
    }
}

# Records stubs started otherwise for Stop-TestStub; writes nothing.
function Register-TestStub {
    param([Parameter(Mandatory, ValueFromPipeline)] [object[]] $Stub)
    process { foreach ($s in $Stub) { $script:Started.Add($s) } }
}

# Stops the recorded stubs that still run; with -IncludeRegistered also those the
# module still lists (faulted ones, say), then forgets them all.
function Stop-TestStub([switch] $IncludeRegistered) {
    if ($IncludeRegistered) {
        $script:Started | Where-Object { $_.State -eq 'Running' -or (Get-StubProcess -Id $_.Id -ErrorAction Ignore) } | Stop-StubProcess
    }
    else {
        $script:Started | Where-Object State -EQ 'Running' | Stop-StubProcess
    }
    $script:Started.Clear()
}

# Discards the stub's queue and unmaps [0x10000000, 0x10000000 + Length).
function Reset-Stub($Stub, [uint64] $Length = 0x30000000) {
    Clear-VmOp -Stub $Stub
    Add-VmOp Munmap 0x10000000 $Length -Stub $Stub | Invoke-VmFlush | Out-Null
}

Export-ModuleMember -Function *
