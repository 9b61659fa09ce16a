# What Add-VmOp refuses before anything is queued: operations that are not one of the
# three names, numbers that are not numbers (an unset variable is not address 0), and
# piped objects without the fields an op needs. Each error names the parameter.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = Import-UmlTlbModule
}

AfterAll {
    Stop-TestStub
}

Describe 'Add-VmOp input checks' -Tag 'CI' {
    BeforeAll {
        $script:stub = Start-TestStub 'inputs'
    }

    BeforeEach {
        Clear-VmOp -Stub $stub
    }

    It 'refuses the operation text <Text> and queues nothing' -TestCases @(
        @{ Text = 'Mmap,Munmap' }, @{ Text = 'Munmap, Mprotect' }, @{ Text = '+1' }, @{ Text = '1' }, @{ Text = '-3' }
        @{ Text = 'Mmap Munmap' }, @{ Text = 'Mmapx' }, @{ Text = '0x1' }
    ) {
        param($Text)
        $out = Add-VmOp $Text 0x10000000 0x1000 rw- -Stub $stub -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'UnknownOperation,UmlTlb.Commands.AddVmOpCommand'
        $err[0].Exception.Message | Should -BeLike "*'$Text'*"
        $stub.PendingOperations | Should -Be 0
    }

    It 'takes the operation name <Text> in any case with blanks around it' -TestCases @(
        @{ Text = 'MMAP'; Kind = 'Mmap' }, @{ Text = ' munmap '; Kind = 'Munmap' }, @{ Text = "`tMprotect"; Kind = 'Mprotect' }
    ) {
        param($Text, $Kind)
        $op = Add-VmOp $Text 0x10000000 0x1000 r-- -Stub $stub
        $op.Operation | Should -Be $Kind
        (Get-VmOp -Stub $stub).Operation | Should -Be $Kind
    }

    It 'refuses -<Parameter> <Label>, naming the parameter, and queues nothing' -TestCases @(
        @{ Parameter = 'Address'; Label = '$null'; Value = $null }
        @{ Parameter = 'Address'; Label = "''"; Value = '' }
        @{ Parameter = 'Address'; Label = "'  '"; Value = '  ' }
        @{ Parameter = 'Address'; Label = "'0x'"; Value = '0x' }
        @{ Parameter = 'Address'; Label = '-4096'; Value = -4096 }
        @{ Parameter = 'Address'; Label = "'-0x1000'"; Value = '-0x1000' }
        @{ Parameter = 'Address'; Label = "'0x1000 junk'"; Value = '0x1000 junk' }
        @{ Parameter = 'Address'; Label = '2^64 as text'; Value = '18446744073709551616' }
        @{ Parameter = 'Address'; Label = '2^64 in hex'; Value = '0x10000000000000000' }
        @{ Parameter = 'Address'; Label = '2^64 as a double'; Value = [math]::Pow(2, 64) }
        @{ Parameter = 'Address'; Label = '2^64 as a bigint'; Value = [bigint]::Pow(2, 64) }
        @{ Parameter = 'Address'; Label = 'an array'; Value = @(0x10000000, 0x10001000) }
        @{ Parameter = 'Length'; Label = '$null'; Value = $null }
        @{ Parameter = 'Length'; Label = "''"; Value = '' }
        @{ Parameter = 'Length'; Label = 'an array'; Value = @(0x1000, 0x2000) }
        @{ Parameter = 'Offset'; Label = "'0x'"; Value = '0x' }
        @{ Parameter = 'Offset'; Label = '-1'; Value = -1 }
    ) {
        param($Parameter, $Value)
        $arguments = @{ Operation = 'Mmap'; Address = 0x10000000; Length = 0x1000; Protection = 'rw-'; Offset = 0; Stub = $stub }
        $arguments[$Parameter] = $Value
        # A bad value on the command line stops the command, as for any cmdlet; piped, it is one record's error.
        $e = { Add-VmOp @arguments } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,UmlTlb.Commands.AddVmOpCommand' -PassThru
        $e.Exception.Message | Should -BeLike "*parameter '$Parameter'*"
        $e.Exception.ParameterName | Should -Be $Parameter
        $piped = [pscustomobject]@{ Operation = 'Mmap'; Address = 0x10000000; Length = 0x1000; Protection = 'rw-'; Offset = 0 }
        $piped.$Parameter = $Value
        $piped | Add-VmOp -Stub $stub -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $err[0].Exception.Message | Should -BeLike "*parameter '$Parameter'*"
        $stub.PendingOperations | Should -Be 0
        @(Get-VmOp -Stub $stub) | Should -HaveCount 0
    }

    It 'refuses an Mmap whose -Offset is <Label>, and lets Munmap and Mprotect ignore it' -TestCases @(
        @{ Label = '$null'; Value = $null }, @{ Label = "''"; Value = '' }
    ) {
        param($Value)
        Add-VmOp Mmap 0x10000000 0x1000 rw- $Value -Stub $stub -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'VmOpFieldMissing,UmlTlb.Commands.AddVmOpCommand'
        $err[0].Exception.ParamName | Should -Be 'Offset'
        $stub.PendingOperations | Should -Be 0
        (Add-VmOp Munmap 0x10000000 0x1000 '' $Value -Stub $stub).Offset | Should -Be 0
        (Add-VmOp Mprotect 0x20000000 0x1000 r-- $Value -Stub $stub).Offset | Should -Be 0
        $stub.PendingOperations | Should -Be 2
    }

    It 'maps offset 0 for an Mmap given no offset at all' {
        $op = Add-VmOp Mmap 0x10000000 0x1000 rw- -Stub $stub
        $op.Offset | Should -Be 0
        $op | Invoke-VmFlush | Out-Null
        (Get-MapAt $stub.ProcessId 0x10000000).Offset | Should -Be 0
        Reset-Stub $stub
    }

    It 'refuses a CSV row whose <Column> cell is empty, keeping the other rows' -TestCases @(
        @{ Column = 'Address'; Row = 'Mmap,,0x1000,rw-,0' }
        @{ Column = 'Length'; Row = 'Mmap,0x10010000,,rw-,0' }
        @{ Column = 'Offset'; Row = 'Mmap,0x10010000,0x1000,rw-,' }
    ) {
        param($Column, $Row)
        $rows = @('Operation,Address,Length,Protection,Offset', 'Mmap,0x10000000,0x1000,rw-,0', $Row, 'Munmap,0x10020000,0x1000,,') | ConvertFrom-Csv
        $ops = @($rows | Add-VmOp -Stub $stub -ErrorVariable err -ErrorAction SilentlyContinue)
        $ops | Should -HaveCount 2
        $err | Should -HaveCount 1
        $err[0].Exception.Message | Should -BeLike "*$Column*"
        $stub.PendingOperations | Should -Be 2
        Get-VmOp -Stub $stub | ForEach-Object Address | Should -Be @(0x10000000, 0x10020000)
    }

    It 'says which properties a piped object had when it lacks <Missing>' -TestCases @(
        @{ Missing = 'Address'; Object = [pscustomobject]@{ Operation = 'Mmap'; Addr = 0x10000000; Length = 0x1000 } }
        @{ Missing = 'Length'; Object = [pscustomobject]@{ Operation = 'Mmap'; Address = 0x10000000; Size = 0x1000 } }
    ) {
        param($Missing, $Object)
        $Object | Add-VmOp -Stub $stub -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'VmOpFieldMissing,UmlTlb.Commands.AddVmOpCommand'
        $err[0].Exception.ParamName | Should -Be $Missing
        foreach ($name in $Object.PSObject.Properties.Name) {
            $err[0].Exception.Message | Should -BeLike "*$name*"
        }
        $stub.PendingOperations | Should -Be 0
    }

    It 'refuses an op with no Address on the command line' {
        Add-VmOp Munmap -Length 0x1000 -Stub $stub -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'VmOpFieldMissing,UmlTlb.Commands.AddVmOpCommand'
        $err[0].Exception.ParamName | Should -Be 'Address'
        $stub.PendingOperations | Should -Be 0
    }
}
