import type { Actor } from '../access/actor.ts';

/** A short allow-rule: true allows, anything else denies. */
export type Rule = (actor: Actor, subject: any) => boolean;
export type PolicySet = Record<string, Rule>;
