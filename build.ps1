<#
.SYNOPSIS
    Builds, tests and demonstrates UmlTlb.
.DESCRIPTION
    Build (default) publishes the module into out/UmlTlb, builds its help from
    docs/ (the Docs task) and checks that it imports.
    Docs turns docs/*.md into out/UmlTlb/en-US (MAML and about topics).
    Test builds, checks the C# formatting (dotnet format --verify-no-changes over
    UmlTlb.slnx), then runs the xunit suites and the Pester suite and ends
    with one line: "N passed, N failed, N skipped".
    Clean removes out/ and every bin/ and obj/ folder of the projects.
    Demo builds, then runs Demo/Demo.ps1 against out/UmlTlb.
    Bench runs Bench/UmlTlb.Bench.csproj in Release; -Quick passes --quick,
    and any further arguments are passed on.
.EXAMPLE
    dotnet tool restore && dotnet pwsh -NoProfile -File ./build.ps1 Test
.EXAMPLE
    dotnet pwsh -NoProfile -File ./build.ps1 Bench -Quick --ways batch
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Docs', 'Test', 'Clean', 'Demo', 'Bench')]
    [string] $Task = 'Build',

    # Test: also run the long tests (UMLTLB_SOAK=1 for both suites).
    [switch] $Soak,

    # Bench: a short run (passed to the benchmark as --quick).
    [switch] $Quick,

    # Bench: further arguments for the benchmark program; arguments after the
    # task that build.ps1 does not know land here too: build.ps1 Bench --n 1000
    [Parameter(ValueFromRemainingArguments)]
    [string[]] $BenchArgs = @()
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
if ([Console]::IsOutputRedirected) {
    # Logs, not a terminal: no ANSI escapes in errors and table headers.
    $PSStyle.OutputRendering = 'PlainText'
}
Import-Module (Join-Path $PSScriptRoot 'build.psm1') -Force

if ($BenchArgs -and $Task -ne 'Bench') {
    throw "Unexpected arguments for task ${Task}: $($BenchArgs -join ' ')"
}

switch ($Task) {
    'Build' { Invoke-UmlTlbBuild }
    'Docs'  { Invoke-UmlTlbDocs }
    'Test'  { exit (Invoke-UmlTlbTest -Soak:$Soak) }
    'Clean' { Invoke-UmlTlbClean }
    'Demo'  { Invoke-UmlTlbDemo }
    'Bench' { Invoke-UmlTlbBench -Quick:$Quick -BenchArgs $BenchArgs }
}
