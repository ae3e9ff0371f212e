export { createApp, defaultSettings, type App, type AppDeps, type AppSettings } from './app.js';
export { loadConfig, type ServerConfig } from './config.js';
export { openResources, type Resources } from './compose.js';
export { demoLogins, DEMO_PASSWORD, seedDemoUnion } from './demo-union.js';
export { createLogger } from './logger.js';
