# The help that build.ps1 makes from docs/: every exported cmdlet has a docs/<Cmdlet>.md
# and full help, its documented parameters are the ones it has (no drift either way),
# and every example in docs/ runs against a real stub without error.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $modulePath = Get-UmlTlbModulePath
    $manifest = Import-PowerShellDataFile (Join-Path $modulePath 'UmlTlb.psd1')
    $cmdletCases = @($manifest.CmdletsToExport | ForEach-Object { @{ Name = $_ } })

    # Each example of each cmdlet, as the built help holds it: what a user of Get-Help sees.
    Import-Module $modulePath -Force
    $exampleCases = foreach ($name in $manifest.CmdletsToExport) {
        $help = Get-Help $name -Full
        $examples = @(if ($help.PSObject.Properties['examples'] -and $help.examples) { $help.examples.example })
        foreach ($example in $examples) {
            @{ Name = $name; Title = ($example.title -replace '^-+\s*|\s*-+$', ''); Code = [string] $example.code }
        }
    }
    Remove-Module UmlTlb
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = Import-UmlTlbModule
    $script:DocsDir = Join-Path $PSScriptRoot '../../docs'
    $script:Common = [System.Management.Automation.PSCmdlet]::CommonParameters

    # What the cmdlet's metadata says of a parameter, in the words of the help's yaml block.
    function Get-ParameterFacts([System.Management.Automation.ParameterMetadata] $Parameter) {
        $attributes = @($Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] })
        $byValue = [bool]($attributes | Where-Object ValueFromPipeline)
        $byName = [bool]($attributes | Where-Object ValueFromPipelineByPropertyName)
        $pipeline = if ($byName -and $byValue) { 'True (ByPropertyName, ByValue)' }
        elseif ($byValue) { 'True (ByValue)' }
        elseif ($byName) { 'True (ByPropertyName)' }
        else { 'False' }
        $positions = @($attributes | Where-Object Position -GE 0 | ForEach-Object Position | Select-Object -Unique)
        [pscustomobject]@{
            Type     = $Parameter.ParameterType.Name
            Pipeline = $pipeline
            Required = [bool]($attributes | Where-Object Mandatory)
            Position = if ($positions.Count) { [string] $positions[0] } else { 'named' }
            Aliases  = @($Parameter.Aliases | Sort-Object)
        }
    }
}

AfterAll {
    Get-StubProcess | Stop-StubProcess
}

Describe 'docs/' -Tag 'CI' {
    It 'has one <Cmdlet>.md per exported cmdlet and none for a cmdlet the module lacks' {
        $documented = @(Get-ChildItem $script:DocsDir -Filter '*-*.md' | ForEach-Object BaseName)
        $exported = @((Get-Module UmlTlb).ExportedCmdlets.Keys)
        Compare-Object -ReferenceObject $exported -DifferenceObject $documented | Should -BeNullOrEmpty
    }

    It 'has about_UmlTlb.md, which Get-Help about_UmlTlb shows' {
        Test-Path (Join-Path $script:DocsDir 'about_UmlTlb.md') | Should -BeTrue
        $topic = Get-Help about_UmlTlb | Out-String
        $topic | Should -Match 'SHORT DESCRIPTION'
        $topic | Should -Match 'Single\s+or\s+Batch'
        $topic | Should -Match 'physical-memory file'
    }

    It 'ships the help built from docs/ in the module' {
        Test-Path (Join-Path $script:ModulePath 'en-US/UmlTlb.dll-Help.xml') | Should -BeTrue
        Test-Path (Join-Path $script:ModulePath 'en-US/about_UmlTlb.help.txt') | Should -BeTrue
    }
}

Describe 'Get-Help <Name> -Full' -Tag 'CI' -ForEach $cmdletCases {
    BeforeAll {
        $script:Help = Get-Help $Name -Full
        $script:Command = Get-Command $Name
        $script:Documented = @($script:Help.parameters.parameter)
        $script:Actual = @($script:Command.Parameters.Values | Where-Object Name -NotIn $script:Common)
    }

    It 'has a synopsis and a description from docs/, not the generated syntax' {
        $script:Help.Synopsis | Should -Not -BeNullOrEmpty
        $script:Help.Synopsis | Should -Not -Match ([regex]::Escape("$Name ["))
        ($script:Help.description.Text -join ' ') | Should -Match '\w{3,}'
    }

    It 'has at least one example with code' {
        @($script:Help.examples.example).Count | Should -BeGreaterOrEqual 1
        @($script:Help.examples.example | Where-Object { $_.code -match '\S' }).Count | Should -Be @($script:Help.examples.example).Count
    }

    It 'documents exactly the parameters the cmdlet has' {
        Compare-Object -ReferenceObject @($script:Actual.Name) -DifferenceObject @($script:Documented.name) |
            ForEach-Object { "$($_.InputObject) $($_.SideIndicator -eq '<=' ? 'is not documented' : 'is documented but does not exist')" } |
            Should -BeNullOrEmpty
    }

    It 'documents each parameter with a description, its type, pipeline binding, position, aliases and whether it is required' {
        $drift = foreach ($parameter in $script:Actual) {
            $doc = $script:Documented | Where-Object name -EQ $parameter.Name
            if (-not $doc) { continue }
            $facts = Get-ParameterFacts $parameter
            $docAliases = @(if ($doc.aliases -and $doc.aliases -ne 'none') { $doc.aliases -split ',\s*' | Sort-Object })
            if (-not ($doc.description.Text -join '')) { "-$($parameter.Name): no description" }
            if ($doc.type.name -ne $facts.Type) { "-$($parameter.Name): type $($doc.type.name), cmdlet has $($facts.Type)" }
            if ($doc.pipelineInput -ne $facts.Pipeline) { "-$($parameter.Name): pipeline '$($doc.pipelineInput)', cmdlet has '$($facts.Pipeline)'" }
            if ($doc.position -ne $facts.Position) { "-$($parameter.Name): position $($doc.position), cmdlet has $($facts.Position)" }
            if (($doc.required -eq 'true') -ne $facts.Required) { "-$($parameter.Name): required $($doc.required), cmdlet has $($facts.Required)" }
            if (($docAliases -join ',') -ne ($facts.Aliases -join ',')) { "-$($parameter.Name): aliases '$($docAliases -join ',')', cmdlet has '$($facts.Aliases -join ',')'" }
        }
        $drift | Should -BeNullOrEmpty
    }

    It 'documents the same parameter sets as the cmdlet has' {
        $actualSets = @($script:Command.ParameterSets | ForEach-Object { ($_.Parameters.Name | Where-Object { $_ -notin $script:Common } | Sort-Object) -join ',' } | Sort-Object)
        $documentedSets = @($script:Help.syntax.syntaxItem | ForEach-Object { (@($_.parameter.name) | Sort-Object) -join ',' } | Sort-Object)
        $documentedSets | Should -Be $actualSets
    }

    It 'names its inputs and outputs' {
        ($script:Help.inputTypes.inputType.type.name -join '') | Should -Not -BeNullOrEmpty
        ($script:Help.returnValues.returnValue.type.name -join '') | Should -Not -BeNullOrEmpty
    }
}

Describe 'The examples of <Name>' -Tag 'CI' -ForEach $cmdletCases {
    BeforeDiscovery {
        $examples = @($exampleCases | Where-Object Name -EQ $Name)
    }

    It '<Title> runs against a real stub without error' -TestCases $examples {
        if ($Code -match '-Architecture\s+i386' -and ($reason = Get-ArchitectureSkipReason i386)) {
            Set-ItResult -Skipped -Because $reason
            return
        }
        # A fresh runspace per example, as a user who pastes it into a new session;
        # the stubs it leaves behind are stopped when that runspace closes.
        $shell = [powershell]::Create()
        try {
            $null = $shell.AddScript('param($Path) $ErrorActionPreference = ''Stop''; Import-Module $Path').AddArgument($script:ModulePath)
            $shell.Invoke()
            $shell.Commands.Clear()
            $null = $shell.AddScript($Code)
            $async = $shell.BeginInvoke()
            if (-not $async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(60))) {
                $shell.Stop()
                throw "The example ran longer than 60 s."
            }
            $null = $shell.EndInvoke($async)
            # An example may show an error on purpose, silenced with -ErrorAction: only errors that reach the stream count.
            @($shell.Streams.Error | ForEach-Object { "$($_.FullyQualifiedErrorId): $_" }) | Should -BeNullOrEmpty
        } finally {
            $shell.Runspace.Close()
            $shell.Dispose()
        }
    }
}

Describe 'The Pester example of about_UmlTlb' -Tag 'CI' {
    It 'passes when Invoke-Pester runs it against the module imported by name' {
        $markdown = Get-Content (Join-Path $script:DocsDir 'about_UmlTlb.md') -Raw
        $blocks = [regex]::Matches($markdown, '(?ms)^```powershell\r?\n(.*?)^```') | ForEach-Object { $_.Groups[1].Value }
        $example = @($blocks | Where-Object { $_ -match 'Describe' })
        $example.Count | Should -Be 1
        $dir = Join-Path ([IO.Path]::GetTempPath()) "umltlb-about-$([guid]::NewGuid().ToString('N'))"
        $null = New-Item -ItemType Directory -Path $dir
        try {
            $testFile = Join-Path $dir 'Mapping.Tests.ps1'
            Set-Content -Path $testFile -Value $example[0]
            $pester = (Get-Module Pester).Path
            $moduleParent = Split-Path $script:ModulePath -Parent
            $script = "`$env:PSModulePath = '$moduleParent' + [IO.Path]::PathSeparator + `$env:PSModulePath; Import-Module '$pester'; " +
                "`$r = Invoke-Pester -Path '$testFile' -PassThru -Output None; exit (`$r.PassedCount -ge 1 -and `$r.FailedCount -eq 0 -and `$r.FailedBlocksCount -eq 0 ? 0 : 1)"
            $pwsh = [Environment]::ProcessPath
            $arguments = @(if ([IO.Path]::GetFileNameWithoutExtension($pwsh) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' }) + @('-NoProfile', '-NonInteractive', '-Command', $script)
            $output = & $pwsh @arguments 2>&1
            $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        } finally {
            Remove-Item $dir -Recurse -Force
        }
    }
}
