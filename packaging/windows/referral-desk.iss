; Inno Setup script: a per-user installer for Referral Desk (no administrator rights needed).
; Build on Windows after `pyinstaller packaging\referral-desk.spec` has made dist\referral-desk:
;   iscc /DAppVersion=0.1.0 packaging\windows\referral-desk.iss
; Installs under the user's own %LOCALAPPDATA%\Programs, adds a Start-menu shortcut, and opens
; .rdsync sync files with Referral Desk (per-user file association under HKCU). The officer's
; data lives in %LOCALAPPDATA%\ReferralDesk and is never touched by install or uninstall.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "Referral Desk"
#define SourceDir "..\..\dist\referral-desk"

[Setup]
AppId={{6F0B5C1E-9E57-4C1B-9A52-2B1C8D1F0A11}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Referral Desk
DefaultDirName={localappdata}\Programs\{#AppName}
DefaultGroupName={#AppName}
; Per-user: no UAC prompt, nothing written outside the user's profile.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=
DisableProgramGroupPage=yes
OutputDir=..\..\dist\installer
OutputBaseFilename=referral-desk-{#AppVersion}-setup
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
ChangesAssociations=yes
UninstallDisplayIcon={app}\referral-desk-gui.exe
ArchitecturesInstallIn64BitMode=x64compatible
ArchitecturesAllowed=x64compatible

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{userprograms}\{#AppName}"; Filename: "{app}\referral-desk-gui.exe"; WorkingDir: "{app}"
Name: "{userprograms}\{#AppName} (check installation)"; Filename: "{app}\referral-desk-gui.exe"; Parameters: "--check-start"

[Registry]
; .rdsync -> Referral Desk, for this user only (HKCU), removed on uninstall.
Root: HKCU; Subkey: "Software\Classes\.rdsync"; ValueType: string; ValueName: ""; ValueData: "ReferralDesk.SyncFile"; Flags: uninsdeletevalue
Root: HKCU; Subkey: "Software\Classes\ReferralDesk.SyncFile"; ValueType: string; ValueName: ""; ValueData: "Referral Desk sync file"; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\ReferralDesk.SyncFile\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\referral-desk-gui.exe,0"
Root: HKCU; Subkey: "Software\Classes\ReferralDesk.SyncFile\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\referral-desk-gui.exe"" --import ""%1"""

[Run]
Filename: "{app}\referral-desk-gui.exe"; Description: "Start {#AppName}"; Flags: nowait postinstall skipifsilent
