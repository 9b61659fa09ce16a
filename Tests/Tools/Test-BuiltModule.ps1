<#
.SYNOPSIS
    Imports the built module in this (fresh) PowerShell and checks that it
    exports exactly the cmdlets its manifest lists, and that UmlTlb.Engine.dll
    carries a stub program for each architecture. build.ps1 Build runs it.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    # Comma-separated architectures whose stub must be embedded (x86_64,i386).
    [Parameter(Mandatory)] [string] $StubArchitectures
)
$ErrorActionPreference = 'Stop'

$manifest = Import-PowerShellDataFile (Join-Path $ModulePath 'UmlTlb.psd1')
$module = Import-Module $ModulePath -PassThru
$expected = @($manifest.CmdletsToExport)
$actual = @($module.ExportedCmdlets.Keys)
$differences = @(Compare-Object -ReferenceObject $expected -DifferenceObject $actual)
if ($expected.Count -eq 0 -or $differences) {
    $differences | ForEach-Object {
        $side = $_.SideIndicator -eq '<=' ? 'listed in the manifest but not exported' : 'exported but not listed in the manifest'
        Write-Host "  $($_.InputObject): $side" -ForegroundColor Red
    }
    Write-Host "The module at $ModulePath does not export what UmlTlb.psd1 lists ($($expected.Count) cmdlets listed)." -ForegroundColor Red
    exit 1
}
$others = @($module.ExportedFunctions.Keys) + @($module.ExportedAliases.Keys) + @($module.ExportedVariables.Keys)
if ($others) {
    Write-Host "The module exports more than cmdlets: $($others -join ', ')" -ForegroundColor Red
    exit 1
}
$resources = [UmlTlb.StubProcess].Assembly.GetManifestResourceNames()
$missingStubs = @($StubArchitectures -split ',' | Where-Object { "umltlb-stub-$_" -notin $resources })
if ($missingStubs) {
    Write-Host "UmlTlb.Engine.dll carries no stub for: $($missingStubs -join ', ') (resources: $($resources -join ', '))" -ForegroundColor Red
    exit 1
}
Write-Host "Imported $($module.Name) $($module.Version) from $($module.ModuleBase): $($actual.Count) cmdlets, as the manifest lists."
exit 0
