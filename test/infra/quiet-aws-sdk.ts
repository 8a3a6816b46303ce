// Imported first by tests that load AWS SDK clients at module scope: the SDK's Node 20 deprecation notice is noise
// in test output (Lambda runs Node 22).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
