; Inno Setup 6 script: Mailroom's Windows installer, from the one-folder bundle dist\mailroom (pyinstaller.spec).
;
;   iscc /DAppVersion=0.1.0 packaging\windows\mailroom.iss
;
; The version comes from the command line (CI passes app.__version__, the one place it lives) and is required.
; Per-user install without admin rights: into %LOCALAPPDATA%\Programs\Mailroom, Start-menu shortcut, an
; uninstaller in "Apps & features", and, as an option, Mailroom registered as a mailto: handler (per user, HKCU).
; Output: dist\Mailroom-<version>-setup.exe

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z packaging\windows\mailroom.iss
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\mailroom"
#endif
#ifndef IconFile
  #define IconFile "..\..\build\icons\mailroom.ico"
#endif

[Setup]
; A fixed AppId ties upgrades and the uninstaller to this product; never change it.
AppId={{6E4A0C5B-3D0F-4C62-9D8E-4B1B2F6A9C11}
AppName=Mailroom
AppVersion={#AppVersion}
AppVerName=Mailroom {#AppVersion}
AppPublisher=Mailroom
VersionInfoVersion={#AppVersion}
; Per user, no UAC prompt; {autopf} then means %LOCALAPPDATA%\Programs.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
DefaultDirName={autopf}\Mailroom
DefaultGroupName=Mailroom
DisableProgramGroupPage=yes
UninstallDisplayIcon={app}\mailroom.exe
UninstallDisplayName=Mailroom {#AppVersion}
SetupIconFile={#IconFile}
OutputDir=..\..\dist
OutputBaseFilename=Mailroom-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; Close a running Mailroom before files are replaced.
CloseApplications=yes
ChangesAssociations=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "mailto"; Description: "Offer Mailroom as the program for e-mail links (mailto:)"; GroupDescription: "E-mail links:"; Flags: unchecked

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\Mailroom"; Filename: "{app}\mailroom.exe"; WorkingDir: "{app}"
Name: "{autodesktop}\Mailroom"; Filename: "{app}\mailroom.exe"; WorkingDir: "{app}"; Tasks: desktopicon

[Registry]
; mailto: handler (per user). Windows 10/11 let the user pick it in Settings > Default apps; the
; RegisteredApplications/Capabilities entries are what puts Mailroom in that list.
Root: HKCU; Subkey: "Software\Classes\Mailroom.mailto"; ValueType: string; ValueName: ""; ValueData: "URL:MailTo Protocol"; Flags: uninsdeletekey; Tasks: mailto
Root: HKCU; Subkey: "Software\Classes\Mailroom.mailto"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""; Tasks: mailto
Root: HKCU; Subkey: "Software\Classes\Mailroom.mailto\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\mailroom.exe,0"; Tasks: mailto
Root: HKCU; Subkey: "Software\Classes\Mailroom.mailto\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\mailroom.exe"" ""%1"""; Tasks: mailto
Root: HKCU; Subkey: "Software\Mailroom\Capabilities"; ValueType: string; ValueName: "ApplicationName"; ValueData: "Mailroom"; Flags: uninsdeletekey; Tasks: mailto
Root: HKCU; Subkey: "Software\Mailroom\Capabilities"; ValueType: string; ValueName: "ApplicationDescription"; ValueData: "Exchange shared mailboxes"; Tasks: mailto
Root: HKCU; Subkey: "Software\Mailroom\Capabilities\URLAssociations"; ValueType: string; ValueName: "mailto"; ValueData: "Mailroom.mailto"; Tasks: mailto
Root: HKCU; Subkey: "Software\RegisteredApplications"; ValueType: string; ValueName: "Mailroom"; ValueData: "Software\Mailroom\Capabilities"; Flags: uninsdeletevalue; Tasks: mailto

[Run]
Filename: "{app}\mailroom.exe"; Description: "{cm:LaunchProgram,Mailroom}"; Flags: nowait postinstall skipifsilent
