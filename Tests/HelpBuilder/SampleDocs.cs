namespace UmlTlb.HelpBuilder.Tests;

/// <summary>Markdown in PlatyPS's schema, written for these tests.</summary>
internal static class SampleDocs
{
    public const string Command = """
        ---
        external help file: Sample.dll-Help.xml
        Module Name: Sample
        online version:
        schema: 2.0.0
        ---

        # Set-Thing

        ## SYNOPSIS
        Sets a `thing`.

        ## SYNTAX

        ### ByName (Default)
        ```powershell
        Set-Thing [-Name] <String[]> [-Force]
        ```

        ### ById
        ```powershell
        Set-Thing -Id <Int32> [-Force]
        ```

        ## DESCRIPTION
        The **Set-Thing** cmdlet sets things.

        - first point
        - second point

        ## EXAMPLES

        ### Example 1: Set one
        ```powershell
        Set-Thing -Name a
        ```

        ```text
        done
        ```

        It says done.

        ## PARAMETERS

        ### -Name
        The names.

        ```yaml
        Type: String[]
        Parameter Sets: ByName
        Aliases: N, Label

        Required: True
        Position: 0
        Default value: None
        Accept pipeline input: True (ByPropertyName)
        Accept wildcard characters: True
        ```

        ### -Id
        The id.

        ```yaml
        Type: Int32
        Parameter Sets: ById
        Aliases:

        Required: True
        Position: Named
        Default value: None
        Accept pipeline input: False
        Accept wildcard characters: False
        ```

        ### -Force
        Does it anyway.

        ```yaml
        Type: SwitchParameter
        Parameter Sets: (All)
        Aliases:

        Required: False
        Position: Named
        Default value: False
        Accept pipeline input: False
        Accept wildcard characters: False
        ```

        ### CommonParameters
        This cmdlet supports the common parameters.

        ## INPUTS

        ### System.String
        Names.

        ## OUTPUTS

        ### None
        Nothing.

        ## NOTES
        A note.

        ## RELATED LINKS

        - [Get-Thing](Get-Thing.md)
        - [Project](https://example.org/thing)
        """;

    public const string About = """
        # about_Sample

        ## SHORT DESCRIPTION

        Short.

        ## LONG DESCRIPTION

        This paragraph is long enough that it has to be wrapped because it goes on and on well past eighty columns of text.

        ### A heading

        - an item

        ```powershell
        Get-Thing | Set-Thing
        ```
        """;
}
