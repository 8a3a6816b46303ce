/** MCP tool names: 1-128 characters of `A-Z a-z 0-9 _ - .` */
export const TOOL_NAME_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/** Folder names are kebab-case: lower-case words joined by single hyphens. */
export const TOOL_FOLDER_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** The one naming rule: the tool in `functions/tools/get-weather-forecast/` is called `get_weather_forecast`. */
export function toolNameForFolder(folder: string): string {
  return folder.replaceAll('-', '_');
}

export function folderForToolName(name: string): string {
  return name.replaceAll('_', '-');
}
