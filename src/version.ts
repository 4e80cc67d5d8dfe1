/** This package's version; sent in the `User-Agent` header. A test keeps it equal to package.json's. */
export const PACKAGE_VERSION = '0.1.0'

/** The default `User-Agent` of token requests. */
export const DEFAULT_USER_AGENT = `oauth2-client-credentials/${PACKAGE_VERSION}`
