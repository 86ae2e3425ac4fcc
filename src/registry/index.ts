export * from './reference.ts';
export * from './errors.ts';
export * from './transport.ts';
export * from './credentials.ts';
export * from './auth.ts';
export * from './client.ts';
export * from './push.ts';
export * from './pull.ts';
