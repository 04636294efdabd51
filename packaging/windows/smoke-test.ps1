# Smoke test of the frozen app on Windows: the same steps as scripts/test-build.sh.
param([Parameter(Mandatory = $true)][string]$App)
$ErrorActionPreference = "Stop"
$work = Join-Path $env:TEMP ("rd-smoke-" + [guid]::NewGuid())
New-Item -ItemType Directory $work | Out-Null
# No Python on PATH: only the system folders.
$env:PATH = "$env:SystemRoot\System32;$env:SystemRoot"
$cli = Join-Path $App "referral-desk.exe"
$gui = Join-Path $App "referral-desk-gui.exe"
function Check($what) { if ($LASTEXITCODE -ne 0) { throw "FAILED: $what" } }
# The passphrase that sets up (init) and unlocks the encrypted data folders.
$env:REFERRAL_DESK_UNLOCK = "smoke test unlock passphrase"
& $cli --version; Check "--version"
& $cli --data-dir "$work\a" init --json | Out-Null; Check "init"
& $cli --data-dir "$work\a" demo --people 20 --services 40 | Out-Null; Check "demo"
$found = & $cli --data-dir "$work\a" search housing --json | ConvertFrom-Json; Check "search"
if ($found.Count -lt 1) { throw "FAILED: search housing found nothing" }
$ref = (& $cli --data-dir "$work\a" list referrals --json | ConvertFrom-Json)[0].reference
& $cli --data-dir "$work\a" slip $ref --out "$work\f.pdf" | Out-Null; Check "slip"
if ((Get-Content "$work\f.pdf" -TotalCount 1) -notlike "%PDF-*") { throw "FAILED: slip is not a PDF" }
$env:REFERRAL_DESK_PASSPHRASE = "smoke test team passphrase"
& $cli --data-dir "$work\a" sync export --out "$work\x.rdsync" | Out-Null; Check "sync export"
& $cli --data-dir "$work\b" init | Out-Null; Check "init b"
& $cli --data-dir "$work\b" sync import "$work\x.rdsync" | Out-Null; Check "sync import"
$env:QT_QPA_PLATFORM = "offscreen"
$p = Start-Process -FilePath $gui -ArgumentList "--data-dir", "$work\a", "--check-start" -Wait -PassThru
if ($p.ExitCode -ne 0) { throw "FAILED: window did not reach My day ($($p.ExitCode))" }
Write-Output "smoke test passed"
