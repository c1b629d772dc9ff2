export * from './format';
export * from './frameworks';
export * from './view';
