; Inno Setup script for Hearth's Windows installer.
; packaging\build.py runs it after PyInstaller, passing the folder to install and the
; names to use:
;   ISCC.exe /DAppVersion=0.1.0 /DBundleDir=C:\...\dist\Hearth /DOutputDir=C:\...\dist
;            /DOutputBaseFilename=hearth-0.1.0-windows-x86_64-setup packaging\windows\hearth.iss
; It installs for the current user by default (no administrator needed); the user's
; chats and downloaded models live in their own folders and are kept on uninstall.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\Hearth"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif
#ifndef OutputBaseFilename
  #define OutputBaseFilename "hearth-" + AppVersion + "-windows-x86_64-setup"
#endif

[Setup]
; The AppId identifies Hearth to Windows across versions; never change it.
AppId={{6F1C2B0E-4D53-4C3A-9E27-5B8A7D4E1F90}
AppName=Hearth
AppVersion={#AppVersion}
AppVerName=Hearth {#AppVersion}
AppPublisher=Hearth
DefaultDirName={autopf}\Hearth
DefaultGroupName=Hearth
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=commandline dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#OutputDir}
OutputBaseFilename={#OutputBaseFilename}
SetupIconFile=..\..\resources\icons\hearth.ico
UninstallDisplayIcon={app}\Hearth.exe
UninstallDisplayName=Hearth
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole PyInstaller folder: Hearth.exe (the window), hearth-cli.exe (the
; command line) and _internal\ with Python, Qt, llama.cpp and the starter model.
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An older version's files that this one no longer ships must not linger beside it.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\Hearth"; Filename: "{app}\Hearth.exe"
Name: "{autodesktop}\Hearth"; Filename: "{app}\Hearth.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\Hearth.exe"; Description: "{cm:LaunchProgram,Hearth}"; Flags: nowait postinstall skipifsilent
