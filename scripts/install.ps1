# Installs facturation-pro-mcp on Windows for the current user, the way scripts/install.sh
# does on Linux and macOS:
#   1. downloads the release's x86_64-pc-windows-msvc zip and SHA256SUMS, checks the zip's
#      SHA-256 before unpacking anything, and installs facturation-pro-mcp.exe in
#      %LOCALAPPDATA%\Programs\facturation-pro-mcp (added to the user's PATH);
#   2. writes the settings to %APPDATA%\facturation-pro-mcp\.env, where the server looks;
#   3. adds a `facturation-pro` entry to Claude Desktop's config, keeping the other entries
#      (the old file is kept as a .bak), so that no client config holds the API key;
#   4. runs `facturation-pro-mcp check`.
#
#   powershell -ExecutionPolicy Bypass -File install.ps1 -ApiId ID -ApiKey KEY `
#       [-FirmId N] [-UserAgent "MonCabinet MCP (contact@mon-cabinet.fr)"] `
#       [-Version X.Y.Z] [-ReleaseUrl BASE] [-SkipClaude]
#
# This machine family has no PowerShell, so unlike install.sh this script is not run by the
# test suite; the archive and SHA256SUMS it reads are (tests/tests/release_packaging.rs).
[CmdletBinding()]
param(
    [string]$ApiId,
    [string]$ApiKey,
    [string]$FirmId,
    [string]$UserAgent,
    [string]$Version = '0.1.0',
    [string]$ReleaseUrl,
    [switch]$SkipClaude
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$BinaryName = 'facturation-pro-mcp.exe'
$Triple = 'x86_64-pc-windows-msvc'
if (-not [Environment]::Is64BitOperatingSystem) { throw 'facturation-pro-mcp is built for 64-bit Windows only' }
$Version = $Version.TrimStart('v')
if (-not $ReleaseUrl) {
    $ReleaseUrl = "https://github.com/facturation-pro-mcp/facturation-pro-mcp/releases/download/v$Version"
}
$ReleaseUrl = $ReleaseUrl.TrimEnd('/')

# ---- 1. the binary, checked before it is unpacked -------------------------------------------
$archive = "facturation-pro-mcp-$Version-$Triple.zip"
$work = Join-Path ([IO.Path]::GetTempPath()) ("facturation-pro-mcp-" + [guid]::NewGuid())
New-Item -ItemType Directory -Path $work | Out-Null
try {
    Write-Host "downloading $archive from $ReleaseUrl"
    Invoke-WebRequest -UseBasicParsing -Uri "$ReleaseUrl/$archive" -OutFile (Join-Path $work $archive)
    Invoke-WebRequest -UseBasicParsing -Uri "$ReleaseUrl/SHA256SUMS" -OutFile (Join-Path $work 'SHA256SUMS')
    $expected = $null
    foreach ($line in Get-Content (Join-Path $work 'SHA256SUMS')) {
        $fields = $line -split '\s+', 2
        if ($fields.Count -eq 2 -and $fields[1].TrimStart('*') -eq $archive) { $expected = $fields[0].ToLowerInvariant() }
    }
    if (-not $expected) { throw "SHA256SUMS has no line for $archive; nothing was installed" }
    $actual = (Get-FileHash -Algorithm SHA256 (Join-Path $work $archive)).Hash.ToLowerInvariant()
    if ($actual -ne $expected) {
        throw "checksum mismatch for ${archive}: SHA256SUMS says $expected, the download is $actual; nothing was installed"
    }
    Expand-Archive -Path (Join-Path $work $archive) -DestinationPath (Join-Path $work 'unpacked')
    $unpacked = Join-Path $work "unpacked\$BinaryName"
    if (-not (Test-Path $unpacked)) { throw "$archive holds no $BinaryName; nothing was installed" }

    $installDir = Join-Path $env:LOCALAPPDATA 'Programs\facturation-pro-mcp'
    New-Item -ItemType Directory -Force -Path $installDir | Out-Null
    $installed = Join-Path $installDir $BinaryName
    # Through a temporary name, so a running copy is never left with half a file.
    Copy-Item $unpacked "$installed.new" -Force
    Move-Item "$installed.new" $installed -Force
    Write-Host "installed release $Version (SHA-256 checked) as $installed"
} finally {
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
}
$userPath = [Environment]::GetEnvironmentVariable('Path', 'User')
if (-not (($userPath -split ';') -contains $installDir)) {
    [Environment]::SetEnvironmentVariable('Path', ($userPath.TrimEnd(';') + ";$installDir").TrimStart(';'), 'User')
    Write-Host "added $installDir to your PATH (new terminals see it)"
}

# ---- 2. the settings, readable by this user only -------------------------------------------
if (-not $ApiId) { $ApiId = Read-Host 'FACTURATION_API_ID (Facturation.PRO > Clé API)' }
if (-not $ApiKey) {
    $secure = Read-Host 'FACTURATION_API_KEY' -AsSecureString
    $ApiKey = [Runtime.InteropServices.Marshal]::PtrToStringBSTR([Runtime.InteropServices.Marshal]::SecureStringToBSTR($secure))
}
if (-not $ApiId -or -not $ApiKey) { throw 'FACTURATION_API_ID and FACTURATION_API_KEY are required' }
$configDir = Join-Path $env:APPDATA 'facturation-pro-mcp'
New-Item -ItemType Directory -Force -Path $configDir | Out-Null
$envFile = Join-Path $configDir '.env'
# Single quotes keep a value as it is for the server's dotenv reader; one inside is refused.
function Format-Setting([string]$Name, [string]$Value) {
    if ($Value.Contains("'") -or $Value.Contains("`n")) { throw "$Name may not contain a single quote or a line break" }
    return "$Name='$Value'"
}
$lines = @((Format-Setting 'FACTURATION_API_ID' $ApiId), (Format-Setting 'FACTURATION_API_KEY' $ApiKey))
if ($FirmId) { $lines += Format-Setting 'FACTURATION_FIRM_ID' $FirmId }
if ($UserAgent) { $lines += Format-Setting 'FACTURATION_USER_AGENT' $UserAgent }
# UTF-8 without a byte-order mark, as the server's dotenv reader expects.
[IO.File]::WriteAllLines($envFile, [string[]]$lines, (New-Object Text.UTF8Encoding($false)))
# Only this user (and SYSTEM) may read the key: no inherited access from the parent folder.
$acl = Get-Acl $envFile
$acl.SetAccessRuleProtection($true, $false)
$me = [Security.Principal.WindowsIdentity]::GetCurrent().Name
foreach ($who in @($me, 'NT AUTHORITY\SYSTEM')) {
    $acl.AddAccessRule((New-Object Security.AccessControl.FileSystemAccessRule($who, 'FullControl', 'Allow')))
}
Set-Acl $envFile $acl
Write-Host "wrote $envFile (readable by you only)"

# ---- 3. Claude Desktop -----------------------------------------------------------------------
if (-not $SkipClaude) {
    $claudeConfig = Join-Path $env:APPDATA 'Claude\claude_desktop_config.json'
    $config = [pscustomobject]@{}
    if ((Test-Path $claudeConfig) -and (Get-Item $claudeConfig).Length -gt 0) {
        try { $config = Get-Content -Raw $claudeConfig | ConvertFrom-Json }
        catch { throw "$claudeConfig is not valid JSON; it was left untouched" }
        Copy-Item $claudeConfig "$claudeConfig.bak" -Force
    } else {
        New-Item -ItemType Directory -Force -Path (Split-Path $claudeConfig) | Out-Null
    }
    if (-not ($config.PSObject.Properties.Name -contains 'mcpServers')) {
        $config | Add-Member -NotePropertyName mcpServers -NotePropertyValue ([pscustomobject]@{})
    }
    $entry = [pscustomobject]@{ command = $installed; args = @('--env-file', $envFile) }
    $config.mcpServers | Add-Member -NotePropertyName 'facturation-pro' -NotePropertyValue $entry -Force
    # Without a byte-order mark: Windows PowerShell's utf8 adds one, which JSON parsers refuse.
    [IO.File]::WriteAllText($claudeConfig, ($config | ConvertTo-Json -Depth 32), (New-Object Text.UTF8Encoding($false)))
    Write-Host "added facturation-pro to $claudeConfig (restart Claude Desktop)"
}

# ---- 4. one call to the API, through the sandbox ---------------------------------------------
& $installed --env-file $envFile check
if ($LASTEXITCODE -ne 0) { throw "the check failed (exit $LASTEXITCODE): see the message above" }
