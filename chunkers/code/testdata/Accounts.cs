using System;
using System.Collections.Generic;

namespace Bank.Accounts
{
    /// <summary>An account holder's balance.</summary>
    public class Account
    {
        public const decimal Overdraft = 100m;

        public string Owner { get; }
        public decimal Balance { get; private set; }

        public Account(string owner)
        {
            Owner = owner;
        }

        /// <summary>Deposits amount.</summary>
        public void Deposit(decimal amount)
        {
            if (amount <= 0) throw new ArgumentException("amount must be positive");
            Balance += amount;
        }

        public bool Withdraw(decimal amount)
        {
            if (Balance - amount < -Overdraft)
            {
                return false;
            }
            Balance -= amount;
            return true;
        }
    }

    public interface ILedger
    {
        void Record(Account account, decimal amount);
    }

    public enum Currency { Eur, Usd, Gbp }

    public struct Money
    {
        public decimal Amount;
        public Currency Currency;
    }
}
