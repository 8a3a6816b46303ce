/** The version reported in `initialize`; kept equal to package.json's by a test. */
export const SERVER_VERSION = '0.1.0';
