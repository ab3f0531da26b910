// The bank: N accounts a0…a(N-1), each starting with the same balance.
import type { Balances } from '../store.ts';

export interface BankShape {
  accounts: number;
  initialBalance: number;
}

export function accountIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `a${i}`);
}

export function initialBalances({ accounts, initialBalance }: BankShape): Balances {
  return Object.fromEntries(accountIds(accounts).map((id) => [id, initialBalance]));
}
