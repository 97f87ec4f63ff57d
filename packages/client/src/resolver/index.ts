export { createResolver, type Resolver, type ResolverOptions } from './resolver.ts';
