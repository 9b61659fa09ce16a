@{
    RootModule           = 'UmlTlb.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '5d6f0f7e-3c1b-4c55-9a43-7a2f1f0b9c41'
    Author               = 'UmlTlb developers'
    CompanyName          = 'UmlTlb'
    Copyright            = '(c) UmlTlb developers. MIT License.'
    Description          = 'Start ptrace-traced stub processes and change their address space with batched mmap/munmap/mprotect, as User-Mode Linux skas0 does.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('UmlTlb.Format.ps1xml')
    TypesToProcess       = @('UmlTlb.Types.ps1xml')
    CmdletsToExport      = @(
        'Start-StubProcess'
        'Stop-StubProcess'
        'Get-StubProcess'
        'Add-VmOp'
        'Invoke-VmFlush'
        'Get-VmOp'
        'Clear-VmOp'
        'Get-StubStatistics'
        'Get-StubMapping'
        'Test-StubShadow'
        'Compare-StubMapping'
        'New-VmPageTable'
        'Set-VmPage'
        'Sync-VmRange'
        'Write-PhysicalMemory'
        'Read-PhysicalMemory'
        'Read-StubMemory'
        'Test-StubMapping'
        'Assert-StubMapping'
        'Measure-VmBatch'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Linux', 'ptrace', 'mmap', 'munmap', 'mprotect', 'UML', 'User-Mode-Linux', 'batching', 'PSEdition_Core')
            # LicenseUri and ProjectUri are left out on purpose: the project has no public
            # address yet, and the manifest names no address that does not exist. The license
            # text ships in the module folder as LICENSE (MIT).
            ReleaseNotes = 'See CHANGELOG.md in the module folder. 0.1.0: stubs for x86_64 and i386, batched flushes with a result per op, coalescing, statistics, /proc views, help from docs/.'
        }
    }
}
