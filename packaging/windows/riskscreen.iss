; Inno Setup 6 script: a per-user installer for the RiskScreen folder built by PyInstaller.
;
; Build the folder first on Windows (python packaging\build.py), then:
;   "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" /DAppVersion=0.1.0 packaging\windows\riskscreen.iss
; The installer is written to packaging\dist\installer\RiskScreen-<version>-setup.exe.
;
; Per-user, no administrator rights: the program goes to %LOCALAPPDATA%\Programs\RiskScreen and
; the Start menu entry to the user's own Start menu. The database is NOT here: RiskScreen keeps
; it in %LOCALAPPDATA%\riskscreen\riskscreen.db (platformdirs' user_data_dir, as
; riskscreen.services.vault.default_db_path says), with its key file and backups beside it.
; Uninstalling never deletes that folder: screenings are records the organisation must keep.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "RiskScreen"
#define DistDir "..\dist\riskscreen"

[Setup]
; A fixed AppId: upgrades replace the previous version instead of installing beside it.
AppId={{6F0C3B52-8C1E-4C0B-9E0A-52A7B1D4C9E1}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=RiskScreen
VersionInfoVersion={#AppVersion}
; No administrator rights; the "for all users" choice is not offered.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=
; With PrivilegesRequired=lowest, {autopf} is the user's %LOCALAPPDATA%\Programs.
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\dist\installer
OutputBaseFilename=RiskScreen-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\app.ico
UninstallDisplayIcon={app}\riskscreen.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; RiskScreen must be closed to be upgraded (its files are in use while it runs).
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole PyInstaller folder: riskscreen.exe (windowed), riskscreen-console.exe (for IT:
; --self-test and the command line) and _internal\.
Source: "{#DistDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; A previous version's libraries must not linger beside the new ones.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\riskscreen.exe"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\riskscreen.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\riskscreen.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only what the program folder gained at run time; never %LOCALAPPDATA%\riskscreen (the data).
Type: filesandordirs; Name: "{app}\_internal"
