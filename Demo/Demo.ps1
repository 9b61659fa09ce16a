<#
.SYNOPSIS
    A short tour of UmlTlb: start a stub, queue ops, flush them in one batch,
    and check the result from outside the stub.
.DESCRIPTION
    build.ps1 Demo builds the module and runs this script in a fresh pwsh.
    To run it by hand: dotnet pwsh -NoProfile -File Demo/Demo.ps1 -ModulePath out/UmlTlb
#>
param(
    # The built module folder (out/UmlTlb).
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/UmlTlb')
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

function Write-Section([string] $Title) {
    Write-Host ''
    Write-Host "--- $Title" -ForegroundColor Cyan
}

# Writes formatted output as wide as the terminal; when it goes to a file or a
# pipe, 160 columns (PowerShell would otherwise cut tables at 80).
function Show-Wide {
    $width = [Console]::IsOutputRedirected ? 160 : $Host.UI.RawUI.WindowSize.Width
    ($input | Out-String -Width $width).Trim("`r", "`n")
}

Import-Module $ModulePath

Write-Section 'Start a stub process (traced by a thread of this pwsh)'
$stub = Start-StubProcess -Name demo
$stub | Format-Table | Show-Wide
$tracerPid = (Get-Content "/proc/$($stub.ProcessId)/status" | Where-Object { $_ -like 'TracerPid:*' }) -replace '\D', ''
Write-Host "/proc/$($stub.ProcessId)/status says TracerPid $tracerPid; the stub's tracer thread is $($stub.TracerThreadId)."

try {
    Write-Section 'Write a pattern into its physical memory at offset 0x1000'
    $pattern = [Text.Encoding]::ASCII.GetBytes('UmlTlb demo: this page came from physical memory offset 0x1000. ')
    Write-PhysicalMemory -Stub $stub -Offset 0x1000 -Value $pattern
    Write-Host "Wrote $($pattern.Length) bytes."

    Write-Section 'Queue ops from CSV (Add-VmOp runs nothing yet)'
    # The first two mmaps are contiguous in address and offset with the same
    # protection, so they merge into one host op, as UML's 2005 batching does.
    $ops = @'
Operation,Address,Length,Protection,Offset
Mmap,0x10000000,0x1000,rw-,0x0
Mmap,0x10001000,0x1000,rw-,0x1000
Mmap,0x20000000,0x4000,r--,0x8000
Mprotect,0x20001000,0x1000,rw-,0
Munmap,0x20003000,0x1000,,0
'@ | ConvertFrom-Csv
    $queued = $ops | Add-VmOp -Stub $stub
    $queued | Format-Table | Show-Wide
    Write-Host "$($queued.Count) ops queued as $($stub.PendingOperations) host ops."

    Write-Section 'Flush: one round trip to the stub runs the whole batch'
    Invoke-VmFlush -Stub $stub | Format-Table | Show-Wide

    Write-Section 'The stub''s mappings, from /proc/<pid>/maps'
    Get-StubMapping -Stub $stub | Format-Table | Show-Wide

    Write-Section 'Read the pattern back through the stub''s own address space (0x10001000)'
    Read-StubMemory -Stub $stub -Address 0x10001000 -Length $pattern.Length | Format-Hex | Show-Wide

    Write-Section 'Statistics'
    Get-StubStatistics -Stub $stub | Format-Table | Show-Wide
} finally {
    Write-Section 'Stop the stub'
    $stub | Stop-StubProcess -PassThru | Format-Table | Show-Wide
    Write-Host "/proc/$($stub.ProcessId) exists: $(Test-Path "/proc/$($stub.ProcessId)")"
}
