"""selfassess"""
